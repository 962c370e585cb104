"""The bottom layer: conventions every part shares, atomic file writes and bounded YAML.

Nothing here imports from the rest of the package. The layers above, lowest first:
``model`` → ``pricing`` → ``strategy`` → ``results`` → ``scenario`` → ``report`` → ``cli``;
a module imports only from its own layer or from layers below it (``tests/test_layers.py``).
"""
