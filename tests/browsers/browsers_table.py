"""The table of issue 15: browser × configuration → loaded outside a pass? hits? latency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _config(spec: dict[str, Any]) -> str:
    parts: list[str] = []
    if spec.get("trr_mode") is not None:
        parts.append(f"TRR mode {spec['trr_mode']}")
        if spec.get("exclude_etc_hosts") is not None:
            parts.append(f"exclude-etc-hosts={str(spec['exclude_etc_hosts']).lower()}")
    elif spec.get("chromium_doh"):
        parts.append(f"secure DNS {spec['chromium_doh']}")
    else:
        parts.append("system DNS")
    flow = spec["flow"]
    if flow == "block-while-running":
        parts.append("block added while running")
    elif flow == "block-after-start":
        parts.append("block added after start, name never looked up")
    elif flow == "pass":
        parts.append(f"pass of {spec.get('pass_seconds', 10)} s, kept-alive")
    if spec.get("url") and str(spec["url"]).split("/")[2].endswith("."):
        parts.append("trailing dot")
    if spec.get("ech"):
        parts.append("ECH offered")
    if spec.get("ipv6_only"):
        parts.append("IPv6-only network, helper --listen-address 127.0.0.1")
    return ", ".join(parts)


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines of the table for one case report (one per navigation that is judged)."""
    if report["spec"]["flow"] == "block-while-running":
        out = []
        for key, what in (
            ("kept_alive", "kept-alive connection"),
            ("cached_name", "new connection, same name"),
            ("fresh_name", "name never looked up"),
        ):
            line = row(report, report.get(key) or {})
            line["case"] = f"{report['case']} / {key}"
            line["configuration"] += f": {what}"
            out.append(line)
        return out
    return [row(report, report.get("navigation") or {})]


def row(report: dict[str, Any], nav: dict[str, Any]) -> dict[str, Any]:
    """One line of the table: one judged navigation of one case."""
    spec = report["spec"]
    out: dict[str, Any] = {
        "case": report["case"],
        "browser": spec.get("browser", "curl/wget"),
        "configuration": _config(spec),
        "loaded_outside_pass": nav.get("loaded"),
        "hits": nav.get("hits"),
        "first_hit_s": nav.get("first_hit_after"),
        "dns": report.get("dns"),
    }
    if nav.get("since_block") is not None:
        out["since_block_s"] = nav["since_block"]
    if nav.get("listener"):
        out["listener"] = nav["listener"]
    if spec["flow"] == "pass":
        out["loads_at_pass_start"] = (report.get("at_pass_start") or {}).get("loaded")
        out["kept_alive_stopped_after_expiry_s"] = report.get("ping_stopped_after")
    if "other_clients" in report:
        out["other_clients_loaded"] = {
            k: v.get("loaded") for k, v in report["other_clients"].items()
        }
        out["loaded_outside_pass"] = any(out["other_clients_loaded"].values())
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items()) or "–"
    return str(value)


def write_table(reports: list[dict[str, Any]], folder: Path) -> Path:
    """``table.md`` and ``table.json`` in ``folder``; the path of the Markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    table = [line for r in reports for line in rows(r)]
    (folder / "table.json").write_text(json.dumps(table, indent=2))
    head = (
        "| case | browser | configuration | site loaded outside a pass? | blocked_hit events "
        "| navigation → first hit (s) | extra | DNS questions seen |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in table:
        extra = {
            k: r[k]
            for k in (
                "since_block_s",
                "listener",
                "loads_at_pass_start",
                "kept_alive_stopped_after_expiry_s",
                "other_clients_loaded",
            )
            if k in r
        }
        lines.append(
            f"| {r['case']} | {r['browser']} | {r['configuration']} "
            f"| {_cell(r['loaded_outside_pass'])} | {_cell(r['hits'])} "
            f"| {_cell(r['first_hit_s'])} | {_cell(extra)} | {_cell(r['dns'])} |"
        )
    path = folder / "table.md"
    path.write_text(head + "\n".join(lines) + "\n")
    return path
