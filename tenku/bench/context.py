"""What a check sees: an item, the parsed video of it, which track is which object.

`Context(item=, parsed=, match=, start=)` is the argument of every check (`checks`,
`physics_checks`); `associate(item, parsed)` matches each spec object to a track (same colour,
then closest to the ground-truth path). The ground truth decides only what is asked, the same for
every generator: where an object is shown at a detectable size (`Context.shown`, `Context.seen`),
where it is large enough that its shape must be told (`Context.resolvable`), which frames give
it clean positions (`Context.clean`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenku.bench.items import Item
from tenku.bench.parse import MIN_AREA_FRACTION, SHAPE_MIN_RADIUS, ParsedVideo, Track
from tenku.world.styles import pixel_block

MIN_TRACK_FRAMES = 0.15  # tracks shorter than this fraction of the clip are not counted as objects
STEADY_VISIBLE = 0.98  # frames where an object is at least this visible give clean positions
ZOOM_CAMERAS = ("zoom-in", "zoom-out")
# Areas as multiples of the parser's smallest detection (`parse.MIN_AREA_FRACTION`, 2 pixels at
# least) that an object shows in the ground truth:
SEEN_AREA = 1.5  # where a video must show it (smaller, shrunk or hidden to a speck, it is not asked)
SPECK_AREA = 3.0  # where its track may end (the parser loses a speck this small) and relations are judged


@dataclass(frozen=True, kw_only=True)
class Context:
    item: Item
    parsed: ParsedVideo
    match: tuple[int | None, ...]  # per spec object: index of its track in parsed.tracks
    start: int = 0  # first scored frame (k in conditioned continuation)

    def track(self, n: int) -> Track | None:
        k = self.match[n]
        return None if k is None else self.parsed.tracks[k]

    def shown(self, n: int, *, area: float = SEEN_AREA) -> np.ndarray:
        """(T,) frames where the ground truth shows object n (visible fraction above 0.1) at
        least `area` times the parser's smallest detection."""
        st = self.item.state
        p = self.parsed
        smallest = max(2.0, MIN_AREA_FRACTION * p.width * p.height)
        return (st.visible_fraction[:, n] > 0.1) & (st.masks[:, n].sum((1, 2)) >= area * smallest)

    def resolvable(self, n: int) -> bool:
        """The ground truth shows object n whole, somewhere, with a radius of SHAPE_MIN_RADIUS
        blocks: large enough that its shape and size must be told (the item decides, not the
        video: a video that draws it smaller is judged all the same)."""
        st = self.item.state
        block = pixel_block(self.item.spec.style, self.parsed.width)
        whole = self.shown(n) & (st.visible_fraction[:, n] >= STEADY_VISIBLE)
        radius = st.radius_world[:, n] * self.parsed.px_per_unit * st.camera_zoom  # (T,) pixels
        return bool(whole.any() and radius[whole].max() >= SHAPE_MIN_RADIUS * block)

    def seen(self, n: int) -> bool:
        """The ground truth shows object n in enough frames from `start` to count it."""
        need = max(2, math.ceil(MIN_TRACK_FRAMES * self.parsed.frames))
        return int(self.shown(n)[self.start :].sum()) >= need

    def world(self, track: Track, *, camera: bool = True) -> np.ndarray:
        """(T, 2) world positions of a track (NaN where absent)."""
        return self.parsed.to_world(track.centroid, camera=camera)

    def clean(self, n: int, track: Track, *, merged: bool = False) -> np.ndarray:
        """(T,) frames from `start` where object n is fully visible and its track clean (unless
        `merged`, not split from a blob shared with a twin). An object the world shows whole
        beside an occluder or against the frame's border (a side wall) is clean: what they hide
        is in the visible fraction, and a video that hides more of it is placed off by what it
        hides."""
        ok = (self.item.state.visible_fraction[:, n] >= STEADY_VISIBLE) & track.present
        if not merged:
            ok &= ~track.merged
        ok[: self.start] = False
        return ok


def associate(item: Item, parsed: ParsedVideo) -> tuple[int | None, ...]:
    """Match spec objects to tracks: same colour, then closest to the ground-truth path."""
    from scipy.optimize import linear_sum_assignment

    objs = item.spec.objects
    tracks = parsed.tracks
    cost = np.full((len(objs), max(1, len(tracks))), 1e9)
    gt = item.state.centroid_px  # (T, N, 2)
    for n, obj in enumerate(objs):
        for k, tr in enumerate(tracks):
            if tr.color != obj.color:
                continue
            d = np.linalg.norm(tr.centroid - gt[:, n], axis=1)  # (T,)
            both = tr.present & (item.state.visible_fraction[:, n] > 0.2)
            dist = float(np.nanmean(d[both])) / parsed.width if both.any() else 1.0
            shape_penalty = 0.5 if tr.resolved and tr.shape != obj.shape else 0.0
            cost[n, k] = dist + shape_penalty - 0.3 * tr.present.mean()
    match: list[int | None] = [None] * len(objs)
    if tracks:
        rows, cols = linear_sum_assignment(cost)
        for n, k in zip(rows, cols, strict=True):
            if cost[n, k] < 1e9:
                match[n] = int(k)
    return tuple(match)
