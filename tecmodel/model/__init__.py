"""The model: timeline, components, the cash-flow cube, tax, metrics, financing and the budget,
orchestrated by :func:`tecmodel.model.evaluation.evaluate`. Every use (deterministic, scenario,
sampled) goes through these functions; only the parameter dataset differs."""
