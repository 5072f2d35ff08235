"""The doctor's report for people (text, one line a check, terraform-like) and for scripts (JSON). Pure."""

from __future__ import annotations

import json

import click

from reconciler.doctor.model import Report

FORMATS = ("text", "json")
COLORS = {"pass": "green", "warn": "yellow", "fail": "red", "skip": None}


def render_report(report: Report, fmt: str, *, color: bool = False) -> str:
    return render_json(report) if fmt == "json" else render_text(report, color=color)


def render_json(report: Report) -> str:
    """`{"checks": [{"name", "status", "detail"}], "summary": {"pass", "warn", "fail", "skip"}}`, exactly."""
    data = {"checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in report.checks],
            "summary": report.summary}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_text(report: Report, *, color: bool = False) -> str:
    def paint(text: str, fg: str | None = None, bold: bool = False, dim: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold, dim=dim) if color else text

    width = max(len(check.name) for check in report.checks)
    out = []
    for check in report.checks:
        status = paint(f"{check.status:<4}", fg=COLORS[check.status], bold=check.status != "skip",
                       dim=check.status == "skip")
        out.append(f"  {status}  {check.name:<{width}}  {check.detail}")
    summary = report.summary
    counts = ", ".join(f"{summary[status]} {status}" for status in ("pass", "warn", "fail", "skip"))
    verdict = (f"{summary['fail']} check{'s' if summary['fail'] != 1 else ''} failed: fix "
               f"{'them' if summary['fail'] != 1 else 'it'} before `reconcile apply`" if report.failed else
               "no check failed" + (": read the warnings before `reconcile apply`" if summary["warn"] else ""))
    out += ["", paint(f"Doctor: {counts}; {verdict}.", bold=True)]
    return "\n".join(out) + "\n"
