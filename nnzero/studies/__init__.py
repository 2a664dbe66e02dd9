"""What the lessons measure about the makemore tool's trained models.

- ``gradients``: how far back the gradient reaches through a recurrent model
  (lessons 08 to 10);
- ``zoo``: every model type trained under one budget and compared (lesson 12).

These use the tool (``nnzero.makemore``); the tool never imports them.
"""
