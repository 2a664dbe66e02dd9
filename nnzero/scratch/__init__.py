"""The lessons' plain-tensor models, for lessons 04 to 06: what the learner builds with
tensors and ``loss.backward()`` (or, in lesson 06, without it) before the makemore tool's
modules take over.

- ``window_mlp``: Bengio et al.'s window MLP (lesson 04);
- ``deep_mlp``: the deeper MLP with hand-written Linear, BatchNorm1d and Tanh layers, and
  its health diagnostics (lesson 05);
- ``manual_backward``: the same network's backward pass written by hand (lesson 06).

Nothing here imports the rest of nnzero; the makemore tool never imports this.
"""
