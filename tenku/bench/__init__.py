"""The world benchmark (`tenku bench world`): scores any video generator against the world.

- `items`: seeded benchmark items per split (spec -> prompt, ground-truth frames and state).
- `generators`: the `VideoGenerator` protocol, `ground-truth`, checkpoints, and the ceiling's
  video transforms (`h264[:CRF]`, `vae:CHECKPOINT`).
- `classify`: per-style pixel colour tables, the style model, soft masks and each style's
  extent, rim width, centroid noise, colour tints, outlines and rim colours, fitted on renders
  and shipped as `classifiers.safetensors` (`tenku bench world --fit-parser` refits them).
- `segment`: one frame's class map -> detections (components, rims dropped, outline blobs).
- `parse`: frames -> objects (tracks with identities, shape, size), camera, style.
- `camera`: pan and zoom from the background's layers (skyline, floor line and seams, occluders).
- `motion`: velocity and gravity fits, ground-truth events (collisions, occlusions).
- `context`: what a check sees (item, parsed video, which track is which object).
- `checks`: every check as a function of a context -> samples, and the `CHECKS` table: here
  attributes, count, relations, camera and style; `physics_checks` holds motion, gravity and
  bounce, collisions and permanence.
- `runner`, `report`: generate, parse, check; means with bootstrap 95 % intervals, tables, JSON.
"""
