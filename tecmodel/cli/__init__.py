"""The ``tecmodel`` command (:func:`tecmodel.cli.main.main`)."""
