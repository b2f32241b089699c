"""A scenario's verdict: what the runtime did, check by check, and the evidence it kept."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Verdict:
    scenario: str
    checks: list[Check] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def check(self, name: str, passed: bool, detail: str) -> bool:
        """Record one observation; answers whether it held, so a scenario can stop early."""
        self.checks.append(Check(name, bool(passed), detail))
        return bool(passed)

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "passed": self.passed,
            "seconds": round(self.seconds, 2),
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks],
            "evidence": self.evidence,
        }

    def render(self) -> str:
        """The short text verdict `zentra sandbox run` prints."""
        lines = [f"{self.scenario}: {'PASSED' if self.passed else 'FAILED'} in {self.seconds:.1f} s"]
        lines += [f"  [{'ok' if c.passed else 'FAIL'}] {c.name}: {c.detail}" for c in self.checks]
        lines += [f"  evidence {name}: {value}" for name, value in self.evidence.items()]
        return "\n".join(lines)
