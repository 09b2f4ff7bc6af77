"""`python -m assistant eval QUESTIONS.jsonl`: answer a question set with gold citations and score the answers.

Three steps, each usable on its own, so that a script fitting weights can answer and score many times
without reading files again:

    questions = read_questions(path)        # the JSONL set, malformed lines reported and skipped
    answers = run(assistant, questions)     # answer_json dicts, each citation with its document's place
    result = score(questions, answers)      # a pure function: figures and per-question records

A citation matches a gold item by the rule of the reference scorer (/work/shared/eval/score.py), so
that the figures here and there agree: the citation's file (base name) is the gold source, the cited
paragraph contains the gold phrase (case, white space and curly quotes folded) and is at most
MAX_CITATION_CHARS long."""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path, PurePath

from assistant.ask import answer_json, batch_question, open_assistant, parse_json
from assistant.errors import AssistantError

MAX_CITATION_CHARS = 1500  # a longer "paragraph" is a whole page or file, not a citation of one paragraph
ANSWER_PREVIEW = 200  # characters of each answer kept in the per-question records
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
# the words score.py does not count when it asks whether a sentence is grounded
STOP = set("that this with from have been were they their there which what when where about would could should also "
           "into than then them these those only more most some such very will your over after before because while "
           "being does said says".split())


# -- the matching rule (the reference scorer's, rewritten so that the project does not need /work/shared) ----------

def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").translate(QUOTES)).strip().lower()


def words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", norm(text))


def label(paragraph) -> str:
    """A paragraph label as score.py compares them: "¶ 55.", "para 55" and "55" are one label."""
    text = re.sub(r"^(¶|para(graph)?\.?|p\.)\s*", "", norm(str(paragraph or "")))
    return text.rstrip(".")


def matches(citation: dict, gold: dict) -> bool:
    text = citation.get("text") or ""
    return (len(text) <= MAX_CITATION_CHARS and PurePath(str(citation.get("source", ""))).name == gold["source"]
            and norm(gold["phrase"]) in norm(text))


def grounded(answer: str, citations: list[dict], skip_headings: bool = False) -> tuple[int, int]:
    """(supported, total) answer sentences, as score.py counts them: a sentence of five or more words is
    supported when at least 80% of its content words occur in the cited paragraphs. With skip_headings,
    lines ending in ":" are left out: a heading such as "Ofsted (2024 inspection report):" is a label, not a claim."""
    text = re.sub(r"\[[^\]]*\]", " ", answer or "")
    if skip_headings:
        text = "\n".join(line for line in text.splitlines() if not line.rstrip().endswith(":"))
    pool = set(words(" ".join(c.get("text") or "" for c in citations)))
    supported = total = 0
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        content = [w for w in words(sentence) if len(w) > 3 and w not in STOP]
        if len(words(sentence)) < 5 or not content:
            continue
        total += 1
        supported += sum(w in pool for w in content) / len(content) >= 0.8
    return supported, total


# -- reading the question set ------------------------------------------------------------------------------------

def question_record(item) -> dict:
    """One question of the set, checked; an AssistantError says what is wrong with it."""
    question, history = batch_question(item)  # the same checks, and the same messages, as `ask --batch`
    gold = item.get("gold") or []
    if not isinstance(gold, list) or not all(isinstance(g, dict) and isinstance(g.get("source"), str)
                                             and isinstance(g.get("phrase"), str) for g in gold):
        raise AssistantError('"gold" must be a list of {"source": "FILE.txt", "para": "55" or null, "phrase": "..."}')
    if item.get("need", "any") not in ("any", "all"):
        raise AssistantError(f'"need" must be "any" or "all"; it is {item.get("need")!r}')
    return {**item, "question": question, "history": history, "gold": gold, "need": item.get("need", "any"),
            "category": item.get("category") or "uncategorised", "split": item.get("split"), "place": item.get("place")}


def read_questions(path, split: str | None = None) -> list[dict]:
    """The questions of a JSONL file (of one split, if given); a line that is not JSON or not a question gets
    one line on stderr naming it, and the rest are read."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AssistantError(f"{path}: cannot be read ({reason})") from exc
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = question_record(parse_json(line))
        except AssistantError as exc:
            print(f"{path} line {number}: {exc}; skipped", file=sys.stderr)
            continue
        if split is None or question["split"] == split:
            questions.append(question)
    return questions


# -- answering -------------------------------------------------------------------------------------------------

def run(assistant, questions: list[dict]) -> list[dict]:
    """Each question answered: its answer_json dict, each citation with its document's `place`, and the
    seconds the answer took."""
    answers = []
    for question in questions:
        start = time.perf_counter()
        answer = assistant.ask(question["question"], question["history"])
        seconds = time.perf_counter() - start
        out = answer_json(answer, question.get("id"))
        for cited, citation in zip(out["citations"], answer.citations):
            cited["place"] = citation.document.place
        answers.append({**out, "seconds": round(seconds, 3)})
    return answers


# -- scoring ---------------------------------------------------------------------------------------------------

def _share(part: int, whole: int) -> dict:
    return {"n": part, "of": whole, "rate": part / whole if whole else None}


def _percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile: a value that was really observed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _places(place) -> set[str]:
    """The council(s) a question names, folded: a `compare` question may name several."""
    named = place if isinstance(place, list) else [place]
    return {p.strip().lower() for p in named if isinstance(p, str) and p.strip()}


def first_citation(answer: dict) -> dict | None:
    if not answer.get("citations"):
        return None
    c = answer["citations"][0]
    return {"source": c.get("source"), "paragraph": c.get("paragraph"), "place": c.get("place")}


def score(questions: list[dict], answers: list[dict]) -> dict:
    """The figures for answers to questions (in the same order): accuracy overall and by category, citation
    precision and recall, refusals, right council, numbering, groundedness, seconds; and one record per question.
    Rates are {"n", "of", "rate"}, with rate None where nothing was counted."""
    if len(questions) != len(answers):
        raise ValueError(f"{len(questions)} questions but {len(answers)} answers: score wants one answer per question, in order")
    categories = defaultdict(lambda: [0, 0])  # category -> [right, asked]
    cited = cited_right = gold_items = gold_found = 0
    refusals_due = refused_right = answerable = refused_wrongly = 0
    placed = first_place_right = every_place_right = 0
    numbered = numbered_right = 0
    ground = [0, 0]
    ground_claims = [0, 0]  # the same, heading lines left out
    records = []
    for question, answer in zip(questions, answers):
        gold, answered = question["gold"], bool(answer.get("answered"))
        # a refusal's passages are offered as related, not as an answer: they count as no citations
        citations = (answer.get("citations") or []) if answered else []
        if not gold:
            ok = not answered
            refusals_due += 1
            refused_right += ok
        else:
            found = [any(matches(c, g) for c in citations) for g in gold]
            ok = answered and (all(found) if question["need"] == "all" else any(found))
            answerable += 1
            refused_wrongly += not answered
            gold_items += len(gold)
            gold_found += sum(found)
            if answered:
                cited += len(citations)
                cited_right += sum(any(matches(c, g) for g in gold) for c in citations)
            for g in gold:
                if g.get("para"):
                    for c in citations:
                        if matches(c, g):
                            numbered += 1
                            numbered_right += label(c.get("paragraph")) == label(g["para"])
        named = _places(question.get("place"))
        if answered and named:
            placed += 1
            cited_places = [(c.get("place") or "").strip().lower() for c in citations]
            first_place_right += bool(cited_places) and cited_places[0] in named
            every_place_right += set(cited_places) == named
        if answered:
            for total, skip in ((ground, False), (ground_claims, True)):
                supported, sentences = grounded(answer.get("answer", ""), citations, skip_headings=skip)
                total[0] += supported
                total[1] += sentences
        categories[question["category"]][0] += ok
        categories[question["category"]][1] += 1
        records.append({
            "id": question.get("id"), "category": question["category"], "split": question.get("split"),
            "question": question["question"], "ok": bool(ok), "answered": answered,
            "first_citation": first_citation(answer), "answer": (answer.get("answer") or "")[:ANSWER_PREVIEW],
            "seconds": answer.get("seconds"),
        })
    seconds = [a["seconds"] for a in answers if isinstance(a.get("seconds"), (int, float))]
    return {
        "accuracy": _share(sum(r["ok"] for r in records), len(records)),
        "by_category": {name: _share(right, asked) for name, (right, asked) in sorted(categories.items())},
        "citation_precision": _share(cited_right, cited),
        "citation_recall": _share(gold_found, gold_items),
        "refusal_accuracy": _share(refused_right, refusals_due),
        "false_refusals": _share(refused_wrongly, answerable),
        "first_citation_right_council": _share(first_place_right, placed),
        "every_citation_right_council": _share(every_place_right, placed),
        "numbering": _share(numbered_right, numbered),
        "grounded": _share(*ground),
        "grounded_without_headings": _share(*ground_claims),
        "seconds_median": statistics.median(seconds) if seconds else None,
        "seconds_p95": _percentile(seconds, 0.95),
        "questions": records,
    }


# -- presenting ------------------------------------------------------------------------------------------------

FIGURES = (  # (key in the result, what the table calls it)
    ("accuracy", "accuracy"),
    ("citation_precision", "citation precision (citations matching gold)"),
    ("citation_recall", "citation recall (gold items cited)"),
    ("refusal_accuracy", "refusal accuracy (no-gold questions refused)"),
    ("false_refusals", "false refusals (questions with gold refused)"),
    ("first_citation_right_council", "right council, first citation"),
    ("every_citation_right_council", "right council, every citation"),
    ("numbering", "numbering (gold citations with the printed label)"),
    ("grounded", "grounded (as score.py counts it)"),
    ("grounded_without_headings", "grounded, heading lines (ending ':') left out"),
)
WIDTH = 50  # of the figures' names in the table


def _rate(share: dict) -> str:
    rate = "—" if share["rate"] is None else f"{share['rate']:.0%}"
    return f"{rate:>5}  ({share['n']}/{share['of']})"


def _citation(first: dict | None) -> str:
    if not first:
        return "no citation"
    return f"{PurePath(str(first['source'])).name} ¶{first['paragraph']} ({first.get('place') or 'no place'})"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}s"


def report(result: dict) -> str:
    """The result as a table a person reads."""
    lines = [f"{name:<{WIDTH}} {_rate(result[key])}" for key, name in FIGURES]
    lines.append(f"{'seconds per question, median / 95th percentile':<{WIDTH}} "
                 f"{_seconds(result['seconds_median'])} / {_seconds(result['seconds_p95'])}")
    lines += ["", "by category:"]
    lines += [f"  {name:<20} {_rate(share)}" for name, share in result["by_category"].items()]
    lines += ["", "questions:"]
    for r in result["questions"]:
        verdict = "right" if r["ok"] else "WRONG"
        said = "answered" if r["answered"] else "refused, related:"
        lines.append(f"  {r['id']!s:<8} {r['category']:<13} {r['split'] or '-':<8} {verdict:<5} {said} "
                     f"{_citation(r['first_citation'])}")
        lines.append(f"           {' '.join(r['answer'].split())}")
    return "\n".join(lines)


def compare(earlier: dict, result: dict) -> str:
    """Accuracy by category before -> after, and the questions whose verdict changed."""
    lines = ["compared with the earlier run:", f"  {'accuracy':<20} {_rate(earlier['accuracy'])}  ->  {_rate(result['accuracy'])}"]
    for name in sorted(set(earlier["by_category"]) | set(result["by_category"])):
        before = _rate(earlier["by_category"][name]) if name in earlier["by_category"] else "—"
        after = _rate(result["by_category"][name]) if name in result["by_category"] else "—"
        lines.append(f"  {name:<20} {before}  ->  {after}")
    before_by_id = {r["id"]: r for r in earlier["questions"]}
    changed = [(before_by_id[r["id"]], r) for r in result["questions"]
               if r["id"] in before_by_id and before_by_id[r["id"]]["ok"] != r["ok"]]
    lines += ["", f"changed ({len(changed)}):"]
    for before, after in changed:
        verdicts = " -> ".join("right" if r["ok"] else "wrong" for r in (before, after))
        lines.append(f"  {after['id']}: {verdicts}  {after['question']}")
        lines.append(f"      before: {_citation(before['first_citation'])}")
        lines.append(f"      after:  {_citation(after['first_citation'])}")
    return "\n".join(lines)


def cmd_eval(args) -> int:
    questions = read_questions(args.questions, args.split)
    if not questions:
        raise AssistantError(f"{args.questions}: no questions to ask" + (f" in split {args.split!r}" if args.split else ""))
    earlier = None
    if args.compare:  # read before answering, so that a wrong path fails at once rather than after the run
        try:
            earlier = json.loads(Path(args.compare).read_text(encoding="utf-8"))
            missing = {"accuracy", "by_category", "questions"} - set(earlier)
        except (OSError, ValueError, TypeError) as exc:
            raise AssistantError(f"{args.compare}: cannot be read as an earlier `eval --out` result ({exc})") from exc
        if missing:
            raise AssistantError(f"{args.compare}: not an earlier `eval --out` result (it has no {', '.join(sorted(missing))})")
    assistant = open_assistant()
    # the first answer loads the model and opens the store: done once here, so that the seconds are answering's
    assistant.ask(questions[0]["question"], questions[0]["history"])
    result = score(questions, run(assistant, questions))
    print(report(result))
    if earlier:
        print("\n" + compare(earlier, result))
        if earlier.get("split") != args.split:  # figures over different questions: say so beside them
            print(f"(the earlier run was of split {earlier.get('split') or 'all'}, this one of {args.split or 'all'})")
    if args.out:
        record = {"questions_file": str(args.questions), "split": args.split, **result}
        Path(args.out).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0
