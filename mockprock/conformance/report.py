"""Reports of a run: text lines for people, JUnit XML and JSON for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mockprock.conformance.model import FAIL, SKIP, Result, summary_line


def text_line(result: Result) -> str:
    line = f"{result.outcome} {result.name}"
    if result.reason:
        line += f": {result.reason}"
    if result.differs:
        line += f" [called at the backend's own path: {', '.join(result.differs)}]"
    if result.outcome == FAIL and result.exchanges:
        line += f"\n       sent: {result.sent()}\n       got:  {result.received()}"
    return line


def junit_xml(results: list[Result], suite: str = "mockprock conformance") -> str:
    failures = sum(r.outcome == FAIL for r in results)
    skipped = sum(r.outcome == SKIP for r in results)
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            root,
            "testcase",
            classname=f"conformance.{result.area}",
            name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if result.outcome == FAIL:
            failure = ET.SubElement(case, "failure", message=result.reason)
            failure.text = "\n".join(
                f"sent: {e.request_line()}\ngot:  {e.answer_line()}" for e in result.exchanges
            )
        elif result.outcome == SKIP:
            ET.SubElement(case, "skipped", message=result.reason)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def json_report(results: list[Result], target: dict[str, Any]) -> str:
    return json.dumps(
        {
            "target": target,
            "summary": summary_line(results),
            "passed": sum(r.outcome == "PASS" for r in results),
            "failed": sum(r.outcome == FAIL for r in results),
            "skipped": sum(r.outcome == SKIP for r in results),
            "results": [r.as_dict() for r in results],
        },
        indent=2,
    )


def write(path: str | Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
