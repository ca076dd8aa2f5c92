"""Questions asked of the model: scenarios, decision solvers, sampling, Monte Carlo and
sensitivity. Each builds parameter overrides and calls :func:`tecmodel.model.evaluation.evaluate`."""
