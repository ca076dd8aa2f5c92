"""Generate ``inputs/README.md``: every assumption with value, unit, range and source.

This module owns the assumptions document. It is built from the parameter registry and the
bundled case files, the same objects the model reads, so the document cannot drift from the
code: ``tests/test_docs.py`` fails if the committed file differs from what this module
generates. Regenerate with ``make docs`` (``python -m tecmodel.report.assumptions inputs/README.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tecmodel.inputs.bundled import bundled_case_paths
from tecmodel.inputs.case import Case, load_case
from tecmodel.inputs.registry import ALIASES, PARAMETERS, REGISTRY, Parameter
from tecmodel.inputs.terms import TRANCHE_TERMS
from tecmodel.io import write_text


def _number(value: float) -> str:
    if value in (float("inf"), float("-inf")):
        return "∞" if value > 0 else "-∞"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _shown(parameter: Parameter, value: float) -> str:
    """A model value in a readable form (fractions as percent)."""
    if parameter.unit == "1":
        return f"{value * 100:,.4g} %"
    if parameter.unit == "1/yr":
        return f"{value * 100:,.4g} %/yr"
    return (
        f"{_number(value)} {parameter.unit}"
        if parameter.unit != "calendar year"
        else str(int(value))
    )


def registry_table() -> list[str]:
    lines = [
        "| parameter | scope | unit | bounds | reference low / mode / high | samplable "
        "| description | reference source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    aliases = {target: alias for alias, target in ALIASES.items()}
    for parameter in PARAMETERS:
        low, mode, high = parameter.reference
        name = f"`{parameter.name}`" + (
            f" (alias `{aliases[parameter.name]}`)" if parameter.name in aliases else ""
        )
        low_bound, high_bound = parameter.bounds
        if parameter.unit == "calendar year":
            bounds = f"[{int(low_bound)}, {int(high_bound)}]"
        else:
            bounds = f"[{_number(low_bound)}, {_number(high_bound)}]"
        reference = " / ".join(_shown(parameter, v) for v in (low, mode, high))
        lines.append(
            f"| {name} | {parameter.scope} | {parameter.unit} | {bounds} | {reference} | "
            f"{'yes' if parameter.samplable else 'no'} | {_cell(parameter.description)} | "
            f"{_cell(parameter.source)} |"
        )
    return lines


def case_section(case: Case, relative_file: str) -> list[str]:
    lines = [f"## `{relative_file}`: {case.title}", "", _cell(case.description.strip()), ""]
    lines += [
        "### Sites, phases and grid capacity",
        "",
        "| site | item | year | value | source |",
        "|---|---|---|---|---|",
    ]
    for site in case.sites:
        for phase in site.phases:
            lines.append(
                f"| {site.name} | {phase.name} (IT online) | {phase.online_year} | "
                f"{_number(phase.it_mw)} MW IT | {_cell(phase.source)} |"
            )
        for step in site.grid_capacity:
            lines.append(
                f"| {site.name} | grid capacity at the meter | from {step.from_year} | "
                f"{_number(step.mw)} MW | {_cell(step.source)} |"
            )
    terminal = case.terminal
    lines += [
        "",
        "### Horizon value",
        "",
        f"`terminal.method`: **{terminal.label}** (defined in docs/guide/conventions.md). Why: "
        f"{_cell(terminal.source)}" + (f" Note: {_cell(terminal.note)}" if terminal.note else ""),
    ]
    lines += [
        "",
        "### Parameters",
        "",
        "| parameter | site | as stated | model value | reference low / mode / high | source |",
        "|---|---|---|---|---|---|",
    ]
    for parameter in PARAMETERS:
        keys = (
            [(parameter.name, None)]
            if parameter.scope == "case"
            else [(parameter.name, site) for site in case.site_names]
        )
        reference = " / ".join(_shown(parameter, v) for v in parameter.reference)
        for key in keys:
            entry = case.entries[key]
            stated = f"{_number(entry.stated_value)} {entry.stated_unit}"
            lines.append(
                f"| `{parameter.name}` | {key[1] or 'all'} | {stated} | {_shown(parameter, entry.value)} | "
                f"{reference} | {_cell(entry.source)} |"
            )
    return lines + [""] + uncertainty_section(case) + financing_and_scenario_lines(case)


# --- uncertainty (issue 4): the distributions and rank correlations of a case
def uncertainty_section(case: Case) -> list[str]:
    """The case's distributions (registry units) and how they are sampled together."""
    rows = [(key, entry) for key, entry in case.entries.items() if entry.distribution is not None]
    if not rows:
        return []
    lines = [
        "### Distributions (Monte Carlo, Sobol' and tornado ranges)",
        "",
        "Values in registry units; a deterministic run uses the value above. Site-level distributions are "
        "shared across sites (one draw moves every site to the same quantile) unless listed as per site.",
        "",
        "| parameter | site | distribution | source |",
        "|---|---|---|---|",
    ]
    for (name, site), entry in rows:
        distribution = entry.distribution
        lines.append(
            f"| `{name}` | {site or 'all'} | {_cell(distribution.describe(entry.parameter.unit))} | "
            f"{_cell(distribution.source or entry.source)} |"
        )
    uncertainty = case.uncertainty
    if uncertainty.per_site:
        lines += [
            "",
            "Drawn independently per site: "
            + ", ".join(f"`{n}`" for n in uncertainty.per_site)
            + ".",
        ]
    if uncertainty.correlated:
        lines += [
            "",
            "Rank correlations (Spearman; Gaussian copula): "
            + "; ".join(
                f"`{a}` ~ `{b}` {uncertainty.rank_correlation[i][j]:g}"
                for i, a in enumerate(uncertainty.correlated)
                for j, b in enumerate(uncertainty.correlated)
                if j > i
            )
            + f" ({_cell(uncertainty.source)}).",
        ]
    return lines + [""]


# --- end uncertainty


def financing_and_scenario_lines(case: Case) -> list[str]:
    """The case's debt tranches (every term with its source) and named scenarios."""
    lines: list[str] = []
    if case.tranches:
        lines += [
            "### Debt tranches (`financing.tranches`)",
            "",
            "| tranche | funds | sites | repayment | term | value | source |",
            "|---|---|---|---|---|---|---|",
        ]
        for tranche in case.tranches:
            head = (
                f"| {tranche.name} | {', '.join(tranche.funds)} | {', '.join(tranche.sites)} | "
                f"{tranche.repayment}{' (recurring)' if tranche.recurring else ''} |"
            )
            for term, source in tranche.sources.items():
                value = getattr(tranche, term)
                unit = TRANCHE_TERMS[term].unit
                shown = (
                    f"{value:.4g} {unit}"
                    if unit not in ("1", "1/yr")
                    else (
                        f"{value:.4g}x"
                        if term == "target_dscr"
                        else f"{value * 100:.4g} %{'/yr' if unit == '1/yr' else ''}"
                    )
                )
                lines.append(f"{head} {term} | {shown} | {_cell(source)} |")
        lines.append("")
    if case.scenarios:
        lines += [
            "### Named scenarios (`scenarios`)",
            "",
            "| scenario | site | change | value | source |",
            "|---|---|---|---|---|",
        ]
        for scenario in case.scenarios:
            for change in scenario.changes:
                value = (
                    f"x {change.value:.4g}"
                    if change.kind == "scale"
                    else (f"{change.value:.4g} {REGISTRY[change.parameter].unit}")
                )
                lines.append(
                    f"| {scenario.name}: {_cell(scenario.title)} | {change.site or 'all'} | "
                    f"`{change.parameter}` | {value} | {_cell(change.source)} |"
                )
        lines.append("")
    return lines


def assumptions_markdown(case_files: list[Path], root: Path) -> str:
    """The whole ``inputs/README.md`` text."""
    lines = [
        "# Inputs: every assumption, its unit, range and source",
        "",
        "<!-- Generated by `make docs` (python -m tecmodel.report.assumptions) from tecmodel/inputs/registry.py",
        "     and the case files; do not edit by hand: tests/test_docs.py fails when this file is stale. -->",
        "",
        "A case file states every number as `{value, unit, source}`; on load the value is converted to",
        "the registry unit (percent to fractions, MEUR to EUR, EUR/kWh to EUR/MWh ...), checked against",
        "the bounds below and the cross-field rules (IT MW x peak PUE within the grid capacity, phases",
        "inside the horizon, unique site names, tax lives within economic lives). Money is nominal EUR;",
        "USD-priced hardware converts at `fx.usd_per_eur`. The reference ranges come from",
        "`REFERENCE_INPUTS.md` (public sources researched 2026-11; 'own est.' marks derived figures) and",
        "feed the tornado ranges and default distributions.",
        "",
        "Cases:",
    ]
    cases = []
    for path in case_files:
        case = load_case(path)
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        cases.append((case, relative))
        lines.append(f"- `{relative}`: {case.title}")
    lines += ["", "## The parameter registry", ""] + registry_table() + [""]
    for case, relative in cases:
        lines += case_section(case, relative)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv

    root = Path(__file__).resolve().parents[2]  # the repository (the cases are its inputs/ folder)
    text = assumptions_markdown(bundled_case_paths(), root)
    if argv:
        write_text(argv[0], text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
