"""The detect stage: 3-D, time-aware zone membership, segment crossings, and episodes."""

from skyfence.detect.incursions import IncursionBuilder
from skyfence.detect.step import MAX_GAP_S, Detection, Membership, detect_step

__all__ = ["MAX_GAP_S", "Detection", "IncursionBuilder", "Membership", "detect_step"]
