"""Optimal stopping by least-squares Monte Carlo, and trigger rules as its benchmark.

This module owns the valuation of a right to act once, at one of a set of decision dates, on
simulated paths: an American option, or the option to start building a site in a window of
years. It knows nothing of what the paths describe; the caller gives, at every decision date,
the state variables observed and the value of each action, and gets back a decision rule, the
outcome of that rule path by path and its summary.

Conventions
-----------
* Decision dates are indexed ``d = 0 .. D - 1`` in time order, paths ``p = 0 .. P - 1`` and
  mutually exclusive actions ``a = 0 .. A - 1``. Arrays put the date first and the path last:
  ``states`` has shape ``(D, P, S)`` (S state variables; ``(D, P)`` for one), ``exercise_values``
  ``(A, D, P)`` (``(D, P)`` for one action) and the trigger ``index`` ``(D, P)``.
* Every value is discounted to time 0 by the caller, path by path: ``exercise_values[a, d, p]``
  is the present value [unit of value] of taking action a at date d on path p, and
  ``terminal_value[p]`` that of never acting (0 unless given). Values of different dates are
  therefore added and compared without further discounting; a stochastic discount factor (a
  short rate that is itself a state variable) is applied by the caller, path by path.
* An action unavailable at a date has the value NaN or ``-inf`` there; ``+inf`` is rejected.
* A path acts at most once; the outcome reports the date index and action index taken, ``-1``
  for never.

Least-squares Monte Carlo (Longstaff & Schwartz 2001)
-----------------------------------------------------
:func:`fit_rule` works backwards from the last date on a set of *regression paths*. The
realised value of each path, following the rule fitted so far, starts as the terminal value. At
the last date the value of continuing is the terminal value itself, so a path acts where its
best action is worth more. At every earlier date the realised value is regressed by least
squares on basis functions of the states (:func:`polynomial_basis`, :func:`laguerre_basis`),
over the paths where some action is available (and, with ``in_the_money_only``, worth more than
zero, as Longstaff & Schwartz do for the put: the paths where acting is out of the question
carry no information about the decision and blur the fit where it matters). The fitted value is
the estimated value of continuing; a path acts where its best action is worth more, and its
realised value becomes that action's value. Only the regression coefficients of each date are
kept in the :class:`StoppingRule`, with the standardisation of the states (mean and standard
deviation on the paths of each regression), so that the same transform applies to new paths.

The realised values of the regression paths average to an estimate biased upwards: the rule
has seen their future (foresight bias). :func:`apply_rule` applies the fitted rule, forwards,
to *fresh* paths drawn independently: a rule that is not optimal can only lose value, so the
mean is biased downwards, and its standard error is that of a plain mean (Glasserman 2003,
chapter 8, on regression-based methods). :func:`summarise` reports that value with the in-sample
one beside it, so the foresight bias is visible.

Decisions are elementwise in the paths: the basis is computed path by path and the fitted
continuation is summed over the basis functions one at a time, never by a matrix product whose
summation order could depend on how many paths are stacked. A rule applied to two sets of
paths together therefore gives, path by path, exactly what it gives to each set, and applied to
its own regression paths it reproduces its in-sample outcome exactly.

Trigger rules (de Neufville & Scholtes 2011)
--------------------------------------------
A trigger rule acts at the first date where an observable index has been above (or below) a
threshold x for y consecutive decision dates. It is a rule a board can state and check; it is
searched by :func:`fit_trigger_rule` over a grid of x and y on the regression paths, and applied
to fresh paths by :func:`apply_trigger_rule` with the same outcome as the least-squares rule, so
that the value lost by the simpler rule can be measured on the same paths.

References
----------
Longstaff, F. A., Schwartz, E. S. (2001). Valuing American options by simulation: a simple
least-squares approach. The Review of Financial Studies 14(1), 113-147,
doi:10.1093/rfs/14.1.113.

Glasserman, P. (2003). Monte Carlo Methods in Financial Engineering, chapter 8 (Pricing American
options). Springer, New York.

de Neufville, R., Scholtes, S. (2011). Flexibility in Engineering Design. MIT Press, Cambridge
(MA).
"""

from __future__ import annotations

from tecmodel.numerics.lsmc.arrays import (
    DIRECTIONS,
    as_exercise_values,
    as_states,
    as_terminal_value,
    best_exercise,
    binomial_standard_error,
    mean_and_error,
    regression_candidates,
)
from tecmodel.numerics.lsmc.basis import (
    BASES,
    as_matrix,
    basis_functions,
    check_degree,
    laguerre_basis,
    least_squares,
    polynomial_basis,
    polynomial_exponents,
    stack_columns,
    standardisation,
)
from tecmodel.numerics.lsmc.stopping import (
    StoppingOutcome,
    StoppingRule,
    StoppingSummary,
    apply_rule,
    continuation_at,
    continuation_value,
    exercise_boundary,
    fit_rule,
    summarise,
)
from tecmodel.numerics.lsmc.triggers import (
    TriggerRule,
    apply_trigger_rule,
    fit_trigger_rule,
    trigger_run_lengths,
)

__all__ = [
    "BASES",
    "polynomial_exponents",
    "polynomial_basis",
    "laguerre_basis",
    "basis_functions",
    "least_squares",
    "standardisation",
    "stack_columns",
    "as_matrix",
    "check_degree",
    "binomial_standard_error",
    "best_exercise",
    "regression_candidates",
    "mean_and_error",
    "as_states",
    "as_exercise_values",
    "as_terminal_value",
    "StoppingRule",
    "StoppingOutcome",
    "StoppingSummary",
    "fit_rule",
    "apply_rule",
    "continuation_value",
    "exercise_boundary",
    "summarise",
    "continuation_at",
    "DIRECTIONS",
    "TriggerRule",
    "trigger_run_lengths",
    "fit_trigger_rule",
    "apply_trigger_rule",
]
