from __future__ import annotations

import json

import pytest
from conftest import CORPORA

from callnlp import analyze
from callnlp.normalize import normalize
from callnlp.record import Role, Section
from callnlp.structure import StructureParser, header, heading
from callnlp.text import load


def parse(text: str):
    return StructureParser()(normalize(load(text.encode())))


@pytest.mark.parametrize(
    ("line", "speaker", "role", "title", "firm", "same_line_speech"),
    [
        # Chinese news write-ups and minutes
        ("Mike Intrator,首席执行官:", "Mike Intrator", Role.EXECUTIVE, "首席执行官", None, None),
        ("Mike Intrator,首席执行官: \u00a0", "Mike Intrator", Role.EXECUTIVE, "首席执行官", None, None),
        ("摩根士丹利的Kate Wise:", "Kate Wise", Role.ANALYST, None, "摩根士丹利", None),
        ("Needham公司的Mike Sykos:", "Mike Sykos", Role.ANALYST, None, "Needham公司", None),
        ("未具名发言人:", None, Role.UNIDENTIFIED, None, None, None),
        ("主持人:各位投资者好,欢迎参加", None, Role.OPERATOR, None, None, "各位投资者好,欢迎参加"),
        ("操作员:", None, Role.OPERATOR, None, None, None),
        ("董事长 王建国:", "王建国", Role.EXECUTIVE, "董事长", None, None),
        ("问(中金公司 张磊):请问毛利率展望?", "张磊", Role.ANALYST, None, "中金公司", "请问毛利率展望?"),
        ("答(李敏):谢谢。", "李敏", Role.EXECUTIVE, None, None, "谢谢。"),
        ("答:谢谢。", None, Role.EXECUTIVE, None, None, "谢谢。"),
        ("翻译:", None, Role.INTERPRETER, None, None, None),
        # English layouts
        ("Operator", None, Role.OPERATOR, None, None, None),
        ("Dana Whitfield -- CEO", "Dana Whitfield", Role.EXECUTIVE, "CEO", None, None),
        ("Al Wu -- Chief Operating Officer", "Al Wu", Role.EXECUTIVE, "Chief Operating Officer", None, None),
        ("Laura Chen -- Morgan Stanley -- Analyst", "Laura Chen", Role.ANALYST, None, "Morgan Stanley", None),
        ("Raj Patel - CFO", "Raj Patel", Role.EXECUTIVE, "CFO", None, None),
        ("Tom Hale - Jefferies", "Tom Hale", Role.ANALYST, None, "Jefferies", None),
        ("Interpreter", None, Role.INTERPRETER, None, None, None),
        ("Unidentified Analyst", None, Role.ANALYST, None, None, None),
        ("Mei Tanaka: Thank you, operator.", "Mei Tanaka", None, None, None, "Thank you, operator."),
        ("Operator: Good day, everyone.", None, Role.OPERATOR, None, None, "Good day, everyone."),
        # the same parts in other orders and brackets: Chinese / English side by side
        ("Mike Intrator(首席执行官):谢谢,Keith。", "Mike Intrator", Role.EXECUTIVE, "首席执行官", None, "谢谢,Keith。"),
        ("Mei Tanaka (Chief Executive Officer): Thanks.", "Mei Tanaka", Role.EXECUTIVE, "Chief Executive Officer", None, "Thanks."),
        ("Kate Wise(摩根士丹利分析师):", "Kate Wise", Role.ANALYST, None, "摩根士丹利", None),
        ("Kate Wise (Morgan Stanley analyst):", "Kate Wise", Role.ANALYST, None, "Morgan Stanley", None),
        ("首席执行官 Mike Intrator:好的", "Mike Intrator", Role.EXECUTIVE, "首席执行官", None, "好的"),
        ("CEO Mike Intrator: Sure.", "Mike Intrator", Role.EXECUTIVE, "CEO", None, "Sure."),
        ("分析师 Kate Wise(摩根士丹利):请问", "Kate Wise", Role.ANALYST, None, "摩根士丹利", "请问"),
        ("Morgan Stanley analyst Kate Wise: Hi.", "Kate Wise", Role.ANALYST, None, "Morgan Stanley", "Hi."),
        ("摩根士丹利 Kate Wise:", "Kate Wise", Role.ANALYST, None, "摩根士丹利", None),
        ("Morgan Stanley's Kate Wise:", "Kate Wise", Role.ANALYST, None, "Morgan Stanley", None),
        ("中金公司张磊:", "张磊", Role.ANALYST, None, "中金公司", None),
        ("Mizuho Gregg Moskowitz:", "Gregg Moskowitz", Role.ANALYST, None, "Mizuho", None),
        ("Mike Intrator(CoreWeave首席执行官)", "Mike Intrator", Role.EXECUTIVE, "首席执行官", None, None),
        ("Michael Stein -- Chief Executive Officer of Genie Energy; Chief Executive Officer of Genie Retail Energy",
         "Michael Stein", Role.EXECUTIVE,
         "Chief Executive Officer of Genie Energy; Chief Executive Officer of Genie Retail Energy", None, None),
        ("董事长兼总经理 王建国:", "王建国", Role.EXECUTIVE, "董事长兼总经理", None, None),
        ("Jensen Huang -- President, Chief Executive Officer, and Director", "Jensen Huang", Role.EXECUTIVE,
         "President, Chief Executive Officer, and Director", None, None),
        ("公司董事长王建国先生:", "王建国", Role.EXECUTIVE, "董事长", None, None),
        ("Colette Kress, Executive Vice President and CFO", "Colette Kress", Role.EXECUTIVE,
         "Executive Vice President and CFO", None, None),
        ("Kate Wise(Zacks分析师):", "Kate Wise", Role.ANALYST, None, "Zacks", None),
        ("Kate Wise -- Zacks -- Analyst", "Kate Wise", Role.ANALYST, None, "Zacks", None),
        ("问(国联 张磊):", "张磊", Role.ANALYST, None, "国联", None),
        ("Melius Research analyst Ben Wright:", "Ben Wright", Role.ANALYST, None, "Melius Research", None),
        ("【Mike Intrator】谢谢", "Mike Intrator", None, None, None, "谢谢"),
        ("【主持人】", None, Role.OPERATOR, None, None, None),
        ("Q:", None, Role.ANALYST, None, None, None),
        ("A: Sure.", None, Role.EXECUTIVE, None, None, "Sure."),
        ("问题一:", None, Role.ANALYST, None, None, None),
        ("Question 2:", None, Role.ANALYST, None, None, None),
        ("1. 问:请问毛利率?", None, Role.ANALYST, None, None, "请问毛利率?"),
        ("2. Q: What about margins?", None, Role.ANALYST, None, None, "What about margins?"),
        ("会议主持人:", None, Role.OPERATOR, None, None, None),
        ("Conference Operator", None, Role.OPERATOR, None, None, None),
        ("迈克·因特拉托(首席执行官):", "迈克·因特拉托", Role.EXECUTIVE, "首席执行官", None, None),
        ("Tom O'Brien -- CFO", "Tom O'Brien", Role.EXECUTIVE, "CFO", None, None),
    ],
)  # fmt: skip
def test_structure_reads_headers(line, speaker, role, title, firm, same_line_speech) -> None:
    found = header(line)
    assert found is not None, line
    assert (found.speaker, found.role, found.title, found.firm) == (speaker, role, title, firm)
    speech = line[found.speech :] if found.speech is not None else None
    assert speech == same_line_speech


@pytest.mark.parametrize(
    "line",
    [
        "财务数据如下:",
        "  财务数据如下:",
        "以下为CoreWeave Q1财报电话会议的内容整理:",
        "营收:第一季度营收为9.816亿美元,较上年同期的1.887亿美元同比增长420%;",
        "主要财务数据如下:",
        "营业收入:12.6亿元,同比增长23.4%",
        "Here are the highlights for the quarter:",
        "Revenue: $1.06 billion, up 23%",
        "Net Income: $5 million",
        "Revenue - up 5% on the year",
        "We grew revenue 20%. That's the summary.",
        "",
        # a title, a firm or a role word in prose: Chinese / English side by side
        "分析师表示:", "Photo: CoreWeave",
        "高盛预计:", "CoreWeave co-founder and CEO Michael Intrator. Photo: CoreWeave",
        "其主要问题包括:", "Q1: revenue grew 5%",
        "摩根士丹利分析师认为:", "[Operator Instructions]",
        "中金公司表示:", "[Foreign Language]",
        "董事长致辞:", "Goldman Sachs Group",
        "首席执行官", "Chief Executive Officer",
        "一、管理层介绍", "CEO Tim Cook Sees Growth Ahead",
        "CoreWeave的Mike Intrator:", "Key takeaways:",
    ],
)  # fmt: skip
def test_structure_lines_ending_in_a_colon_are_not_all_speakers(line: str) -> None:
    assert header(line) is None


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Prepared Remarks:", "prepared"),
        ("Questions and Answers:", "qa"),
        ("Question-and-Answer Session", "qa"),
        ("问答环节", "qa"),
        ("Company Participants", "executives"),
        ("Conference Call Participants", "analysts"),
        ("Call participants:", "participants"),
        ("风险提示及免责条款", "end"),
        ("(会议结束)", "end"),
        ("Duration: 58 minutes", "end"),
        ("Revenue grew", None),
    ],
)
def test_structure_headings(line: str, kind: str | None) -> None:
    assert heading(line) == kind


def test_structure_seed_000_facts(seed) -> None:
    result = analyze(seed("000"))
    turns = result.turns
    assert len(turns) == 31
    assert turns[0].line == 47
    assert (turns[0].speaker, turns[0].title) == ("Mike Intrator", "首席执行官")
    prepared = [t for t in turns if t.section is Section.PREPARED]
    assert [(t.speaker, t.role) for t in prepared] == [
        ("Mike Intrator", Role.EXECUTIVE),
        ("Nitin Agrawal", Role.EXECUTIVE),
    ]
    questions = [t for t in turns if t.role is Role.ANALYST]
    assert len(questions) == 13
    assert len({t.speaker for t in questions}) == 11
    assert all(t.firm for t in questions)
    assert len(result.qa_pairs) == 13
    unnamed = [t for t in turns if t.speaker is None]
    assert len(unnamed) == 7
    assert all(t.role is Role.UNIDENTIFIED for t in unnamed)
    answering = {a for p in result.qa_pairs for a in p.answers}
    assert {t.index for t in unnamed} <= answering
    # A speaker keeps one identity: every Mike Intrator turn is the executive.
    assert {(t.role, t.title) for t in turns if t.speaker == "Mike Intrator"} == {
        (Role.EXECUTIVE, "首席执行官")
    }


def test_structure_seed_000_news_and_risk_notice_are_in_no_turn(seed) -> None:
    result = analyze(seed("000"))
    text = seed("000").read_text(encoding="utf-8")
    notice = text.index("风险提示及免责条款")
    assert all(t.end <= notice for t in result.turns)
    for s in result.sentences:
        if s.line <= 45 or s.start >= notice:
            assert s.turn is None
            assert s.section is Section.OTHER
        else:
            assert s.turn is not None
    assert not any("Mike Intrator,首席执行官" in s.text for s in result.sentences)  # headers are no speech


def _gold_files():
    return sorted((CORPORA / "gold").glob("*.json"))


@pytest.mark.parametrize("gold_path", _gold_files(), ids=lambda p: p.stem)
def test_structure_matches_gold(gold_path) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    result = analyze(CORPORA / gold["source"])
    got = [
        {
            "line": t.line,
            "speaker": t.speaker,
            "role": t.role.value,
            "title": t.title,
            "firm": t.firm,
            "section": t.section.value,
            "translates": t.translates,
        }
        for t in result.turns
    ]
    assert got == gold["turns"]
    assert [{"question": p.question, "answers": list(p.answers)} for p in result.qa_pairs] == gold["qa_pairs"]


def test_structure_gold_set_covers_every_layout() -> None:
    layouts = {"_".join(p.stem.split("_")[:2]) for p in _gold_files()}
    assert {"en_fool", "en_sa", "en_colon", "zh_qa", "interpreted_tianlan"} <= layouts


def test_structure_news_article_is_one_other_turn() -> None:
    s = parse("公司发布财报。营收增长20%。\n分析师认为前景乐观。")
    assert len(s.turns) == 1
    assert (s.turns[0].role, s.turns[0].section, s.turns[0].speaker) == (Role.OTHER, Section.OTHER, None)
    assert s.qa_pairs == ()


def test_structure_no_qa_is_all_prepared() -> None:
    s = parse(
        "Operator\nWelcome.\nAnn Lee -- Chief Executive Officer\nWe grew.\nBo Chen -- CFO\nMargins rose."
    )
    assert [t.section for t in s.turns] == [Section.PREPARED] * 3
    assert s.qa_pairs == ()


def test_structure_qa_without_operator_pairs_by_analyst() -> None:
    s = parse(
        "Ann Lee -- CEO\nWe grew.\nQ&A\nBo Li -- Mizuho -- Analyst\nWhy?\nAnn Lee\nDemand.\n"
        "Raj Rao -- CFO\nAnd pricing.\nBo Li\nAnd next year?\nAnn Lee\nMore."
    )
    assert [(p.question, p.answers) for p in s.qa_pairs] == [(1, (2, 3)), (4, (5,))]


def test_structure_odd_spacing_and_full_width_colons() -> None:
    s = parse(
        "  Mike Intrator , 首席执行官 ：\n谢谢。\n摩根士丹利的 Kate Wise：\n请问?\n"
        "\u3000未具名发言人:\u00a0\n好的。"
    )
    assert [(t.speaker, t.role) for t in s.turns] == [
        ("Mike Intrator", Role.EXECUTIVE),
        ("Kate Wise", Role.ANALYST),
        (None, Role.UNIDENTIFIED),
    ]


def test_structure_header_without_colon_in_chinese_is_found_when_known() -> None:
    s = parse("Mike Intrator,首席执行官:\n谢谢。\n高盛的Tash Wangan:\n问题?\nMike Intrator\n回答。")
    assert [t.speaker for t in s.turns] == ["Mike Intrator", "Tash Wangan", "Mike Intrator"]
    assert s.turns[2].role is Role.EXECUTIVE


def test_structure_interpreter_links_to_the_turn_it_renders() -> None:
    s = parse(
        "Zhou Wei -- Chief Executive Officer\n收入增长了23.4%。\nInterpreter\nRevenue grew 23.4%.\n"
        "Questions and Answers:\nPeter Lam -- Goldman Sachs -- Analyst\n请问毛利率?\n"
        "翻译:\nWhat about margins?\n"
        "Zhou Wei\n毛利率提升。\nInterpreter\nMargins rose."
    )
    assert [t.translates for t in s.turns] == [None, 0, None, 2, None, 4]
    assert [(p.question, p.answers) for p in s.qa_pairs] == [(2, (4, 5))]


def test_structure_unknown_speakers_take_a_role_from_their_place() -> None:
    s = parse(
        "Operator: Welcome. I'll turn the call over to Ann Wu, Chief Executive Officer.\n"
        "Ann Wu: Revenue grew.\nBo Tan: Margins rose too.\nQuestion and Answer\n"
        "Operator: Next question, please go ahead.\nCy Ray: What about costs?\nBo Tan: Lower."
    )
    assert [(t.speaker, t.role, t.title) for t in s.turns] == [
        (None, Role.OPERATOR, None),
        ("Ann Wu", Role.EXECUTIVE, "Chief Executive Officer"),
        ("Bo Tan", Role.EXECUTIVE, None),
        (None, Role.OPERATOR, None),
        ("Cy Ray", Role.ANALYST, None),
        ("Bo Tan", Role.EXECUTIVE, None),
    ]


def test_structure_empty_and_blank_documents() -> None:
    assert parse("   \n\n x").turns[0].role is Role.OTHER


@pytest.mark.parametrize(
    "text",
    [
        "Mike Intrator(首席执行官):谢谢。\n摩根士丹利的Kate Wise:请问?\n首席执行官 Mike Intrator:好的。\n"
        "分析师 Kate  Wise(摩根士丹利):再问。\n【Mike Intrator】\n回答。\nMIKE INTRATOR:补充。",
        "Mike Intrator -- Chief Executive Officer\nThanks.\nMorgan Stanley's Kate Wise: Hi?\n"
        "Chief Executive Officer Mike Intrator: Sure.\nAnalyst Kate  Wise (Morgan Stanley): Again?\nMike Intrator\n"
        "Yes.\n"
        "MIKE INTRATOR: More.",
    ],
)
def test_structure_one_person_keeps_one_identity_across_header_forms(text: str) -> None:
    s = parse(text)
    assert {(t.speaker, t.role, t.title, t.firm) for t in s.turns} == {
        ("Mike Intrator", Role.EXECUTIVE, s.turns[0].title, None),
        ("Kate Wise", Role.ANALYST, None, s.turns[1].firm),
    }
    assert [len(p.answers) for p in s.qa_pairs] == [1, 2]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("王建国\n大家好。\n李敏\n收入增长。\n王建国\n谢谢。\n李敏\n补充。", ["王建国", "李敏", "王建国", "李敏"]),
        ("Ann Lee\nWe grew.\nBo Chen\nMargins rose.\nAnn Lee\nThanks.\nBo Chen\nIndeed.",
         ["Ann Lee", "Bo Chen", "Ann Lee", "Bo Chen"]),
        ("王建国\n大家好。\n李敏:收入增长。", [None]),  # once alone on its line is a caption, not a speaker
        ("Ann Lee\nWe grew.\nThe end.", [None]),
    ],
)  # fmt: skip
def test_structure_a_name_alone_on_its_line_is_a_speaker_when_it_recurs(text: str, speakers: list) -> None:
    assert [t.speaker for t in parse(text).turns] == speakers
