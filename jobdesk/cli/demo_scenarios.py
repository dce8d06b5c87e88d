"""What the demo's simulated workers do: four kinds of job, reported step by step.

Each scenario drives one job through the SDK as a real worker would: a weighted
pipeline, progress with status lines, the odd warning or error entry, then completion.
Whether the job instead fails or stalls is decided beforehand (see ``Sim``), and
``Sim.check`` applies that decision part-way through, so the scenarios read like real
work instead of being littered with dice rolls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random
from typing import Any

from jobdesk.sdk import AsyncJobReporter


class Outcome(StrEnum):
    COMPLETE = "complete"
    FAIL = "fail"
    STALL = "stall"
    """Stop reporting and leave the job running, as a hung or killed worker does."""


class JobFailed(Exception):
    """The simulated work failed; the fleet reports it with ``fail``."""


class Stalled(Exception):
    """The simulated worker hangs from here on; the fleet stops reporting."""


@dataclass
class Sim:
    """The dice and the clock of one simulated job."""

    rng: Random
    outcome: Outcome
    pace: float = 1.0
    """Multiplies every pause: below 1 is faster."""
    break_at: float = field(default=0.5)
    """How far through the work (0-1) a failure or stall happens."""

    async def pause(self, low: float, high: float) -> None:
        await asyncio.sleep(self.rng.uniform(low, high) * self.pace)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def check(self, done: float, *failures: str) -> None:
        """Raise the planned failure (one of ``failures``) or stall once ``done`` (0-1)
        reaches ``break_at``."""
        if done < self.break_at or self.outcome is Outcome.COMPLETE:
            return
        if self.outcome is Outcome.FAIL:
            raise JobFailed(self.rng.choice(failures))
        raise Stalled


@dataclass(frozen=True)
class Spec:
    """How the job is created: type, name, metadata and first status line."""

    job_type: str
    name: str
    metadata: dict[str, Any]
    message: str


Scenario = Callable[[AsyncJobReporter, Sim, Spec], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    """One kind of simulated work, done by the worker whose token is ``worker``, which
    claims jobs of ``job_type`` from the queue. ``needs`` is the metadata its scenario
    reads (name, and the type it must be)."""

    worker: str
    job_type: str
    make_spec: Callable[[Random], Spec]
    run: Scenario
    needs: tuple[tuple[str, type], ...] = ()

    def unfit(self, spec: Spec) -> str | None:
        """Why this worker cannot do a job (one submitted by hand, say, without the
        metadata the demo's own jobs carry), or None: a job to fail with that reason,
        as a real worker refuses bad input, rather than a crash with a traceback."""
        wrong = [
            name
            for name, kind in self.needs
            if not isinstance(spec.metadata.get(name), kind)
            or isinstance(spec.metadata.get(name), bool)
        ]
        if not wrong:
            return None
        wanted = ", ".join(f"{name} ({_KIND_WORDS[kind]})" for name, kind in self.needs)
        return (
            f"the demo's {self.job_type} worker needs metadata {wanted}, as the demo's own "
            f"jobs have; this job's metadata lacks {', '.join(wrong)}"
        )


_KIND_WORDS = {str: "text", int: "a whole number"}


# --- file processing (seed 002's file_processing) -----------------------------------------

FILES = (
    "contract-2026-03.pdf",
    "invoice-88412.pdf",
    "board-minutes.docx",
    "site-survey.pdf",
    "lease-agreement.pdf",
    "q3-report.xlsx",
    "scan-0042.tiff",
)


def file_spec(rng: Random) -> Spec:
    name = rng.choice(FILES)
    meta = {
        "fileName": name,
        "fileSize": rng.randrange(50_000, 9_000_000),
        "pages": rng.randrange(4, 16),
    }
    return Spec("file_processing", f"process {name}", meta, "Upload queued")


async def process_file(job: AsyncJobReporter, sim: Sim, spec: Spec) -> None:
    name, pages = spec.metadata["fileName"], int(spec.metadata["pages"])
    job.pipeline({"upload": 1, "extract": 3, "index": 1})
    for percent in (25, 50, 75, 100):
        await sim.pause(0.2, 0.6)
        job.sub_operation("upload", percent, f"Uploading {name}")
    for page in range(1, pages + 1):
        await sim.pause(0.3, 1.0)
        sim.check(0.2 + 0.6 * page / pages, "Invalid file format", "File is password-protected")
        if sim.chance(0.08):
            job.warning(f"Page {page} is a scanned image; using OCR")
        job.sub_operation("extract", 100 * page / pages, f"Extracting page {page}/{pages}")
    for percent in (50, 100):
        await sim.pause(0.3, 0.8)
        job.sub_operation("index", percent, "Indexing document")
    doc = f"doc_{sim.rng.randrange(16**6):06x}"
    await job.complete({"documentId": doc, "pages": pages}, "Document processed successfully")


# --- document analysis ---------------------------------------------------------------------

DOCUMENTS = ("supplier contract", "tender documents", "due-diligence pack", "policy draft")


def analysis_spec(rng: Random) -> Spec:
    document = rng.choice(DOCUMENTS)
    meta = {"document": document, "questions": rng.randrange(3, 9)}
    return Spec("document_analysis", f"analyse {document}", meta, "Waiting for analysis")


async def analyse_document(job: AsyncJobReporter, sim: Sim, spec: Spec) -> None:
    questions = int(spec.metadata["questions"])
    job.pipeline({"data-loading": 1, "question-processing": 4, "summary": 1})
    await sim.pause(0.5, 1.5)
    job.sub_operation("data-loading", 100, "Document loaded")
    for number in range(1, questions + 1):
        job.info(f"Processing question {number}")
        await sim.pause(0.8, 2.0)
        sim.check(number / questions, "Failed to parse document structure")
        if sim.chance(0.15):
            job.warning(f"Low confidence in answer to question {number}")
        job.sub_operation("question-processing", 100 * number / questions)
    await sim.pause(0.5, 1.5)
    job.sub_operation("summary", 100, "Summary written")
    await job.complete({"insights": sim.rng.randrange(2, 12)}, "Analysis completed")


# --- LLM agent -------------------------------------------------------------------------------

TASKS = (
    "triage support inbox",
    "draft release notes",
    "summarise meeting notes",
    "answer RFP questions",
    "review pull request",
)
TOOLS = ("search_documents", "read_file", "query_crm", "web_search", "run_sql")


def agent_spec(rng: Random) -> Spec:
    task = rng.choice(TASKS)
    model = rng.choice(("gpt-4o", "claude-sonnet", "llama-3-70b"))
    return Spec("llm_agent", f"agent: {task}", {"model": model, "task": task}, "Planning")


async def run_agent(job: AsyncJobReporter, sim: Sim, spec: Spec) -> None:
    steps = sim.rng.randrange(4, 10)
    job.progress(5, "Planning")
    await sim.pause(0.5, 1.5)
    for step in range(1, steps + 1):
        tool = sim.rng.choice(TOOLS)
        job.progress(5 + 80 * (step - 0.5) / steps, f"Calling tool {tool}")
        await sim.pause(0.6, 2.0)
        sim.check(
            step / steps, "Model returned invalid JSON three times", "Context window exceeded"
        )
        if sim.chance(0.1):
            job.error("API rate limit exceeded; retrying in 2 s")
            await sim.pause(1.0, 2.0)
        job.progress(5 + 80 * step / steps, f"Step {step}/{steps} done")
    job.progress(90, "Writing the answer")
    await sim.pause(0.8, 2.0)
    await job.complete({"tokens": sim.rng.randrange(2_000, 60_000)}, "Agent finished")


# --- e-mail sending ----------------------------------------------------------------------------

CAMPAIGNS = ("weekly newsletter", "invoice reminders", "password reset batch", "event invitations")


def email_spec(rng: Random) -> Spec:
    campaign = rng.choice(CAMPAIGNS)
    meta = {"campaign": campaign, "recipients": rng.randrange(20, 200)}
    return Spec("send-email", f"send-email: {campaign}", meta, "Waiting to send")


async def send_emails(job: AsyncJobReporter, sim: Sim, spec: Spec) -> None:
    total = int(spec.metadata["recipients"])
    sent = bounced = 0
    while sent < total:
        await sim.pause(0.3, 0.9)
        batch = min(total - sent, sim.rng.randrange(5, 25))
        sim.check((sent + batch) / total, "SMTP server refused the connection")
        sent += batch
        if sim.chance(0.1):
            lost = sim.rng.randrange(1, 4)
            bounced += lost
            job.warning(f"{lost} addresses bounced")
        job.progress(100 * sent / total, f"Sent {sent}/{total}")
    await job.complete(
        {"sent": sent - bounced, "bounced": bounced}, f"Sent {sent - bounced} e-mails"
    )


KINDS: tuple[Kind, ...] = (
    Kind("files", "file_processing", file_spec, process_file, (("fileName", str), ("pages", int))),
    Kind("documents", "document_analysis", analysis_spec, analyse_document, (("questions", int),)),
    Kind("agents", "llm_agent", agent_spec, run_agent),
    Kind("mail", "send-email", email_spec, send_emails, (("recipients", int),)),
)
"""Every kind of simulated work; the fleet picks among them at random."""
