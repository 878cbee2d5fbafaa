"""The generated people of benchmarks.scale_data: names, e-mails and certificate histories,
each person the same for the same seed and index (the loader walks them several times).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jitsuin.pki.names import SERIAL_BITS

SWITCH_DAYS = 300  # G2 issues since then; certificates from before are G1's
OPEN_EVERY = 3_000  # one person in OPEN_EVERY has an open request

# (kanji, romaji, katakana): surnames and given names; 50 x 40 = 2,000 names for everyone.
SURNAMES = [
    ("佐藤", "Sato", "サトウ"), ("鈴木", "Suzuki", "スズキ"), ("高橋", "Takahashi", "タカハシ"),
    ("田中", "Tanaka", "タナカ"), ("伊藤", "Ito", "イトウ"), ("渡辺", "Watanabe", "ワタナベ"),
    ("山本", "Yamamoto", "ヤマモト"), ("中村", "Nakamura", "ナカムラ"),
    ("小林", "Kobayashi", "コバヤシ"), ("加藤", "Kato", "カトウ"), ("吉田", "Yoshida", "ヨシダ"),
    ("山田", "Yamada", "ヤマダ"), ("佐々木", "Sasaki", "ササキ"), ("山口", "Yamaguchi", "ヤマグチ"),
    ("松本", "Matsumoto", "マツモト"), ("井上", "Inoue", "イノウエ"), ("木村", "Kimura", "キムラ"),
    ("林", "Hayashi", "ハヤシ"), ("斎藤", "Saito", "サイトウ"), ("清水", "Shimizu", "シミズ"),
    ("山崎", "Yamazaki", "ヤマザキ"), ("森", "Mori", "モリ"), ("池田", "Ikeda", "イケダ"),
    ("橋本", "Hashimoto", "ハシモト"), ("阿部", "Abe", "アベ"), ("石川", "Ishikawa", "イシカワ"),
    ("山下", "Yamashita", "ヤマシタ"), ("中島", "Nakajima", "ナカジマ"),
    ("石井", "Ishii", "イシイ"), ("小川", "Ogawa", "オガワ"), ("前田", "Maeda", "マエダ"),
    ("岡田", "Okada", "オカダ"), ("長谷川", "Hasegawa", "ハセガワ"), ("藤田", "Fujita", "フジタ"),
    ("後藤", "Goto", "ゴトウ"), ("近藤", "Kondo", "コンドウ"), ("村上", "Murakami", "ムラカミ"),
    ("遠藤", "Endo", "エンドウ"), ("青木", "Aoki", "アオキ"), ("坂本", "Sakamoto", "サカモト"),
    ("斉藤", "Saito", "サイトウ"), ("福田", "Fukuda", "フクダ"), ("太田", "Ota", "オオタ"),
    ("西村", "Nishimura", "ニシムラ"), ("藤井", "Fujii", "フジイ"), ("金子", "Kaneko", "カネコ"),
    ("岡本", "Okamoto", "オカモト"), ("藤原", "Fujiwara", "フジワラ"),
    ("中野", "Nakano", "ナカノ"), ("三浦", "Miura", "ミウラ"),
]  # fmt: skip
GIVEN = [
    ("翔太", "Shota", "ショウタ"), ("美咲", "Misaki", "ミサキ"), ("大輝", "Daiki", "ダイキ"),
    ("陽菜", "Hina", "ヒナ"), ("蓮", "Ren", "レン"), ("結衣", "Yui", "ユイ"),
    ("悠斗", "Yuto", "ユウト"), ("葵", "Aoi", "アオイ"), ("湊", "Minato", "ミナト"),
    ("さくら", "Sakura", "サクラ"), ("健太", "Kenta", "ケンタ"), ("花子", "Hanako", "ハナコ"),
    ("拓海", "Takumi", "タクミ"), ("莉子", "Riko", "リコ"), ("大翔", "Hiroto", "ヒロト"),
    ("愛", "Ai", "アイ"), ("颯太", "Sota", "ソウタ"), ("七海", "Nanami", "ナナミ"),
    ("誠", "Makoto", "マコト"), ("彩", "Aya", "アヤ"), ("直樹", "Naoki", "ナオキ"),
    ("恵", "Megumi", "メグミ"), ("隆", "Takashi", "タカシ"), ("由美", "Yumi", "ユミ"),
    ("浩", "Hiroshi", "ヒロシ"), ("真由美", "Mayumi", "マユミ"), ("翼", "Tsubasa", "ツバサ"),
    ("舞", "Mai", "マイ"), ("亮", "Ryo", "リョウ"), ("遥", "Haruka", "ハルカ"),
    ("聡", "Satoshi", "サトシ"), ("優子", "Yuko", "ユウコ"), ("修", "Osamu", "オサム"),
    ("千尋", "Chihiro", "チヒロ"), ("海斗", "Kaito", "カイト"), ("杏", "An", "アン"),
    ("一郎", "Ichiro", "イチロウ"), ("玲奈", "Rena", "レナ"), ("俊介", "Shunsuke", "シュンスケ"),
    ("明日香", "Asuka", "アスカ"),
]  # fmt: skip
AFFILIATIONS = [
    "工学部",
    "理学部",
    "文学部",
    "医学部",
    "法学部",
    "経済学部",
    "事務局",
    "情報基盤センター",
]


@dataclass
class Cert:
    not_before: datetime
    issuer: int  # 0: G1, 1: G2
    serial: int
    status: str = "valid"
    revoked_at: datetime | None = None
    reason: str = ""
    csr: bool = False


@dataclass
class Life:
    uid: str
    email: str
    names: tuple[str, str, str]
    affiliation: str
    language: str
    active: bool
    certificates: list[Cert] = field(default_factory=list)
    open_state: str = ""  # an open issue request in this state, or none
    open_age: timedelta = timedelta(0)


def counts_per_person(people: int, certificates: int, rng: random.Random) -> list[int]:
    """Certificates per person, 0-6 with a realistic spread, summing to ``certificates``."""
    mean = certificates / max(people, 1)
    counts = [max(0, min(6, round(rng.gauss(mean, 1.3)))) for _ in range(people)]
    gap = certificates - sum(counts)
    while gap:
        i = rng.randrange(people)
        if gap > 0 and counts[i] < 6:
            counts[i], gap = counts[i] + 1, gap - 1
        elif gap < 0 and counts[i] > 0:
            counts[i], gap = counts[i] - 1, gap + 1
    return counts


def life(index: int, count: int, *, seed: int, now: datetime) -> Life:
    """Person ``index`` and their certificates, the same for the same arguments."""
    rng = random.Random(seed * 1_000_003 + index)
    student = index % 4 != 0
    uid = f"{'s' if student else 't'}{20_000_000 + index * 7:08d}"
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
    names = (
        f"{surname[0]} {given[0]}",
        f"{given[1]} {surname[1]}",
        f"{surname[2]} {given[2]}",
    )
    gone = rng.random() < 0.07
    person = Life(
        uid=uid,
        email=f"{given[1].lower()}.{surname[1].lower()}.{index}@{'st.' if student else ''}"
        "example.ac.jp",
        names=names,
        affiliation=rng.choice(AFFILIATIONS),
        language="en" if rng.random() < 0.1 else "ja",
        active=not gone,
    )
    # Newest first: the latest up to two years old (gone people: two to four years more).
    start = now - timedelta(days=rng.uniform(1, 700) + (rng.uniform(730, 1460) if gone else 0))
    for _ in range(count):
        issuer = 0 if start < now - timedelta(days=SWITCH_DAYS) else 1
        serial = rng.getrandbits(SERIAL_BITS) | (1 << 100)  # as pki.names.new_serial
        person.certificates.append(Cert(start, issuer, serial, csr=rng.random() < 0.3))
        start -= timedelta(days=rng.uniform(300, 700))
    for newer, older in zip(person.certificates, person.certificates[1:], strict=False):
        if rng.random() < 0.75:  # superseded: revoked after the overlap grace
            older.status, older.reason = "revoked", "superseded"
            older.revoked_at = newer.not_before + timedelta(days=14)
    latest = person.certificates[0] if person.certificates else None
    if latest and not gone and rng.random() < 0.05:
        latest.status, latest.reason = "revoked", rng.choice(["keyCompromise", "unspecified"])
        latest.revoked_at = latest.not_before + timedelta(days=rng.uniform(1, 200))
        latest.revoked_at = min(latest.revoked_at, now - timedelta(hours=1))
    if index % OPEN_EVERY == 7 and not gone:
        person.open_state = rng.choice(["queued", "waiting", "failed", "failed"])
        person.open_age = timedelta(days=rng.uniform(0.1, 25))
    return person


def transitions_of(kind: str, csr: bool, state: str) -> list[tuple[str, str]]:
    if state == "queued":
        return [("", "queued")]
    if state == "waiting":
        return [("", "queued"), ("queued", "waiting")]
    if state == "failed":
        return [("", "queued"), ("queued", "processing"), ("processing", "failed")]
    if kind == "issue" and not csr:
        return [("", "queued"), ("queued", "processing"), ("processing", "ready")] + [
            ("ready", "collected")
        ]
    return [("", "queued"), ("queued", "processing"), ("processing", "done")]
