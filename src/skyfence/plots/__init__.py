"""Anonymous sensor plots (radar, RF, EO/IR): files in, WGS84 ``Plots`` out.

``read_plots(path)`` reads JSONL or CSV plots with sensor sites (polar plots are converted
to geodetic with pyproj); ``reader`` registers ``*.plots.jsonl``/``*.plots.csv`` as a traffic
format that runs the plots through :mod:`skyfence.tracker`, and ``asterix`` does the same for
ASTERIX CAT048 recordings (``*.ast``, records decoded by ``cat048`` with libasterix).
"""

from skyfence.plots.convert import plots_table
from skyfence.plots.reader import read_plots
from skyfence.plots.schema import PLOTS

__all__ = ["PLOTS", "plots_table", "read_plots"]
