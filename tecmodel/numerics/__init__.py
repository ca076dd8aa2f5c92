"""Domain-free arithmetic: ordered sums and whole-number powers, labelled arrays, the IRR solver,
summary statistics and Sobol' estimators. Nothing here knows what a campus is."""
