"""`python -m assistant ask --batch`: a line that cannot be answered gets one line of output naming it and
what is wrong, in its place, and the lines after it are still answered."""

from __future__ import annotations

import json

ODD_LINES = [
    ('{"id": "number", "question": 5}', '"question" must be text; it is a number'),
    ('{"id": "text-history", "question": "What about care leavers?", "history": "text"}',
     '"history" must be a list of {"role": "user" or "assistant", "content": "..."}, oldest first; it is text'),
    ('["a", "list"]', 'a list, not an object like {"id": "q1", "question": "..."}'),
    ('"just a string"', 'text, not an object like {"id": "q1", "question": "..."}'),
    ('{"id": "broken", "question": ', "not JSON (Expecting value, column 30)"),
    ('{"id": "no-question"}', '"question" must be text; it is missing'),
    ('{"id": "bad-turn", "question": "And then?", "history": [{"role": "judge", "content": "x"}]}',
     '"history" must be a list of {"role": "user" or "assistant", "content": "..."}, oldest first; it is a list'),
]


def test_odd_batch_lines_each_get_one_line_and_the_batch_goes_on(tmp_path, corpus_index, run_cli):
    good = json.dumps({"id": "good", "question": "What did Ofsted say about disabled children?"})
    batch = tmp_path / "odd.jsonl"
    batch.write_text("\n".join([line for line, _ in ODD_LINES] + [good]) + "\n", encoding="utf-8")
    result = run_cli("assistant", "ask", "--json", "--batch", batch, env={"ASSISTANT_DATA_DIR": str(corpus_index.data_dir)})
    assert "Traceback" not in result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == len(ODD_LINES) + 1
    for number, ((_, reason), out) in enumerate(zip(ODD_LINES, outputs), start=1):
        assert out["error"] == f"{batch} line {number}: {reason}", out
    assert [out["id"] for out in outputs[:2]] == ["number", "text-history"]  # ids echoed where the line has one
    assert outputs[-1]["id"] == "good" and outputs[-1]["answered"] and outputs[-1]["citations"]
    assert result.returncode == 1  # some lines failed
