"""Tracking anonymous plots: constant-velocity Kalman filters in a local tangent plane,
chi-square gating, global nearest-neighbour assignment per scan, M-of-N confirmation,
deletion after misses, track quality and a kinematic class.

``track_plots(state, plots, cooperative)`` is the stage; ``TrackerState()`` starts empty.
"""

from skyfence.tracker.classify import classify
from skyfence.tracker.run import track_plot_rows, track_plots
from skyfence.tracker.state import TrackerParams, TrackerState

__all__ = ["TrackerParams", "TrackerState", "classify", "track_plot_rows", "track_plots"]
