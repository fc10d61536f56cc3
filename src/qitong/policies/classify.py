"""What a policy is about and whom it is for, read from its own words.

``reclassify(policy, source)`` fills the fields the machine owns
(``MACHINE_FIELDS``) from the policy's title, body, issuer and dates and from
the source it was read through, leaving alone every field staff corrected
(``Policy.corrected``). Each part reads only clear wording, since the
conditions decide who is pushed a policy and an empty list means "any":

- level and region (``place``): a division named in the issuer (济南市人民政府 → 济南市,
  city), the one inside the source's region when a name is shared (市中区); else the
  level a word gives (国务院 and the ministries: national; 省…, 市…, 区…/县…) with the
  source's region or its ancestor at that level; else the source's own;
- category (``categorize``): keyword rules (``RULES``), a title hit weighing
  ``TITLE_WEIGHT`` times a body hit; a rule decides when its score is high enough and
  well ahead of the next (``category_by=rule``). Otherwise the trained model
  (``Model``: a multinomial naive Bayes over character bigrams, title bigrams weighted)
  decides when it is sure enough (``category_by=model``); otherwise ``other``,
  undecided (``category_by`` blank);
- validity (``validity``): 自…起施行, 有效期X年, 有效期至…, 执行期限…至…;
- conditions (``conditions``): from the title's subject and the body's sentences that
  name whom a measure is for (支持对象, 申报条件…): sizes (小微企业 → small and micro),
  tiers (重点企业), industries (GB/T 4754 codes from 制造业, 软件和信息技术服务业…), and
  qualifications the enterprise must hold (the library's ``Qualification`` rows for
  高新技术企业, 专精特新, 小巨人…), but not where the text is about gaining one
  (认定, 申报, 培育…);
- ``interprets``: a page whose title says 解读 (图解, 一图读懂) belongs to the library's
  policy its title names in 《…》, or by the rest of its title; a policy read after its
  readings collects those dated from a week before it to a year after (``link_readings``).

The model is trained from the library (``train``: the policies whose category staff
set or a rule decided) and kept as JSON in the default storage
(``MODEL_PATH``), by ``qitong policyclassifier train`` and the daily
``policy-classifier`` job.
"""

import calendar
import datetime as dt
import json
import math
import operator
import re
import threading
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db.models import Q
from django.db.models.functions import Substr

from qitong.core import clock, files
from qitong.enterprises.industries import validate_industry
from qitong.enterprises.models import Enterprise, Qualification
from qitong.orgs.models import Region
from qitong.policies.models import Category, Level, Policy

# The fields ``reclassify`` fills; a field staff corrected is left alone.
MACHINE_FIELDS = [
    "level",
    "region",
    "category",  # with category_by
    "valid_from",
    "valid_until",
    "industries",
    "sizes",
    "tiers",
    "qualifications",
    "interprets",
]

Size = Enterprise.Size
Tier = Enterprise.Tier
CJK = "\u4e00-\u9fff"


# --- the title's parts ---------------------------------------------------------------------

# A title opens with its issuer, then what it does: 济南市人民政府关于…, 国务院办公厅转发…
_HEAD = re.compile(r"^(.{2,60}?)(?=关于|转发|批转|印发|对|贯彻)")
# What a head must end in to be an issuer at all (not "转发国务院" or "2023年").
_ISSUER_END = re.compile(
    r"(人民政府|政府|办公厅|办公室|委员会|委|局|厅|部|院|署|办|中心|军委|警备区|军区|后勤部|总队|银行|会)$"
)


def clean(text):
    """One line, single spaces: titles come with line breaks and ideographic spaces."""
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ")).strip()


def _title_head(title):
    match = _HEAD.match(title or "")
    if match and _ISSUER_END.search(match.group(1)):
        return match.group(1)
    return ""


def issuer_of(title, issuer):
    """The issuing body: the page's own 发文机关, else the head of its title."""
    return clean(issuer) or _title_head(clean(title))


def _about(title):
    """Where the first 关于 outside 《…》 ends, or None (关于 past the opening is not the head's)."""
    depth = 0
    for index, char in enumerate(title[:80]):
        if char == "《":
            depth += 1
        elif char == "》":
            depth = max(depth - 1, 0)
        elif depth == 0 and title.startswith("关于", index):
            return index + 2
    return None


def subject_of(title):
    """What a policy is about: its title after 关于 (国务院办公厅转发财政部等部门关于推动…的通知
    → 推动…的通知), else without its issuer's head."""
    title = clean(title)
    about = _about(title)
    if about is not None:
        return title[about:]
    head = _title_head(title)
    return title[len(head) :] if head else title


# --- level and region ----------------------------------------------------------------------

NATIONAL = re.compile(
    r"^(国务院|中共中央|中央|全国人大|全国人民代表大会|中华人民共和国|国家|中国人民银行|中国证监会|"
    r"中国银保监会|中国银监会|中国保监会|海关总署|[\u4e00-\u9fff]{1,12}(部|总局|总署)(办公厅)?(\s|、|$))"
)
# Bodies named 部 that are no ministry.
_NOT_MINISTRY = re.compile(r"(指挥|组织|宣传|统战|武装|后勤|项目|事业|工作|政治|联络)部")
# The first word of an issuer that names no place: 省政府, 市发展改革委, 区人民政府…
WORD_LEVELS = {"省": Level.PROVINCIAL, "市": Level.CITY, "州": Level.CITY, "盟": Level.CITY}
WORD_LEVELS.update({"区": Level.DISTRICT, "县": Level.DISTRICT, "旗": Level.DISTRICT})
REGION_LEVELS = {
    Region.Level.PROVINCE: Level.PROVINCIAL,
    Region.Level.PREFECTURE: Level.CITY,
    Region.Level.COUNTY: Level.DISTRICT,
    Region.Level.TOWN: Level.DISTRICT,
}
AREA_DIGITS = {
    Region.Level.PROVINCE: 2,
    Region.Level.PREFECTURE: 4,
    Region.Level.COUNTY: 6,
    Region.Level.TOWN: 9,
}
_NAME_ENDS = "省市区县州盟旗"
_NAME_MOST = 12  # 黔东南苗族侗族自治州 and the like


def within(inner, outer):
    """Whether division ``inner`` lies within ``outer`` (GB/T 2260 codes nest by prefix)."""
    digits = AREA_DIGITS[outer.level]
    return inner.code[:digits] == outer.code[:digits] and len(inner.code) >= len(outer.code)


def _named_regions(text):
    """The divisions ``text`` names, as [(start, [Region…])], longest names first, no overlaps.

    A two-character name (丰县, 城区) counts only at the start or right after another
    name, since it hides inside longer words (宝丰县, 主城区).
    """
    candidates = {
        text[start : end + 1]
        for end, char in enumerate(text)
        if char in _NAME_ENDS
        for start in range(max(0, end - _NAME_MOST + 1), end)
    }
    if not candidates:
        return []
    by_name = {}
    for region in Region.objects.filter(name__in=candidates):
        by_name.setdefault(region.name, []).append(region)
    spans = []
    for name in sorted(by_name, key=len, reverse=True):
        for match in re.finditer(re.escape(name), text):
            span = (match.start(), match.end())
            if any(span[0] < end and start < span[1] for start, end, _ in spans):
                continue
            spans.append((span[0], span[1], name))
    spans.sort()
    found, last_end = [], None
    for start, end, name in spans:
        if len(name) == 2 and start != 0 and start != last_end:
            continue
        found.append((start, by_name[name]))
        last_end = end
    return found


def _pick(found, source_region):
    """The one division the issuer means, or None: the narrowest one that fits the rest."""
    chosen = []
    for _start, regions in found:
        active = [region for region in regions if region.is_active] or [
            heir for region in regions if (heir := region.current()) is not None
        ]
        if not active:
            continue
        if len(active) > 1:  # a shared name: the one the context supports
            supported = [
                region
                for region in active
                if any(within(region, other) for other in chosen)
                or (source_region is not None and within(region, source_region))
            ]
            if len(supported) != 1:
                continue
            active = supported
        chosen.append(active[0])
    if not chosen:
        return None
    # The narrowest of those that nest: 北京市密云区 → 密云区; else the first named.
    nested = [
        region
        for region in chosen
        if all(within(region, other) or within(other, region) for other in chosen)
    ]
    if nested:
        return max(nested, key=lambda region: AREA_DIGITS[region.level])
    inside = [r for r in chosen if source_region is not None and within(r, source_region)]
    return (inside or chosen)[0]


def _ancestor(region, level):
    """``region``'s division at government level ``level`` (itself if it is at it), or None."""
    wanted = {value: key for key, value in REGION_LEVELS.items() if key != Region.Level.TOWN}
    target = wanted.get(level)
    if region is None or target is None:
        return None
    if REGION_LEVELS[region.level] == level and region.level != Region.Level.TOWN:
        return region
    digits = AREA_DIGITS[target]
    if len(region.code) < digits or AREA_DIGITS[region.level] < digits:
        return None
    code = region.code[:digits].ljust(6, "0")
    return Region.objects.filter(code=code).first()


def _is_municipality(region):
    """北京市, 上海市, 天津市, 重庆市: a province-level city, whose 市 words are provincial."""
    return (
        region is not None and region.level == Region.Level.PROVINCE and region.name.endswith("市")
    )


def place(title, issuer, source=None):
    """(level, region) of a policy from its issuer (or its title's head) and its source."""
    source_level = getattr(source, "level", "") or ""
    source_region = getattr(source, "region", None)
    text = issuer_of(title, issuer)
    if text:
        region = _pick(_named_regions(text), source_region)
        if region is not None:
            return REGION_LEVELS[region.level], region
        if NATIONAL.search(text) and not _NOT_MINISTRY.search(text):
            return Level.NATIONAL, None
        word = WORD_LEVELS.get(text[0])
        if word:
            home = source_region
            if home is not None and text[0] == "市" and _is_municipality(home):
                return Level.PROVINCIAL, home
            if home is not None:
                # The source's own government at that level: 省政府 on a city's site is its province.
                ancestor = _ancestor(home, word)
                if ancestor is None and word == Level.CITY:
                    municipality = _ancestor(home, Level.PROVINCIAL)
                    if _is_municipality(municipality):
                        return Level.PROVINCIAL, municipality
                return word, ancestor or home
            return word, None
    if source_level == Level.NATIONAL:
        return Level.NATIONAL, None
    return source_level, source_region


# --- category: rules -----------------------------------------------------------------------

# (pattern, weight) per category; a title hit counts TITLE_WEIGHT times a body hit.
RULES = {
    Category.FINANCING: [
        (r"融资|贷款|信贷|贴息|转贷|续贷", 1.0),
        (r"融资担保|担保|增信", 0.8),
        (r"上市|挂牌|新三板|北交所|科创板|股票|存托凭证|债券", 1.0),
        (r"创业投资|创投|风险投资|股权投资|天使投资|私募|产业(投资)?基金|引导基金", 1.0),
        (r"普惠金融|金融支持|金融服务|供应链金融|科技金融|金融科技|绿色金融|金融机构|银行", 0.8),
        (r"金融", 0.5),
        (r"保险(?!费|条例|制度)", 0.3),
    ],
    Category.ENTREPRENEURSHIP: [
        (r"创业(?!投资)|双创|大众创新|万众创新", 1.2),
        (r"孵化器|孵化|众创空间|创客|加速器", 1.0),
        (r"个体工商户|初创|小店", 0.6),
    ],
    Category.INDUSTRY: [
        (r"产业链|产业集群|集群|产业园|产业基地|产业化|产业升级|产业发展|产业结构", 1.0),
        (
            r"制造业|先进制造|智能制造|工业|技术改造|技改|龙头企业|转型升级|产能|兼并重组|振兴规划",
            1.0,
        ),
        (r"产业|新兴|数字经济|实体经济|服务业|现代农业|渔业|林业|畜牧|园区|开发区|总部", 0.7),
        (r"纺织|钢铁|汽车|化工|建材|轻工|医药|软件|集成电路|装备|新能源|新材料|食品工业", 0.5),
        (r"高质量发展|企业培育|做大做强|优强|百强|骨干企业", 0.5),
    ],
    Category.TECHNOLOGY: [
        (r"科技(?!金融)|科学技术|技术创新|自主创新|研发|创新平台|创新中心|新型研发机构", 1.0),
        # gaining a title of innovation is technology; holding one says whom, not what
        (
            r"(高新技术企业|专精特新|小巨人|瞪羚|独角兽|科技型中小企业).{0,12}(认定|培育|评价|入库|遴选|复核)",
            1.2,
        ),
        (r"高新技术企业|专精特新|小巨人|瞪羚|独角兽|科技型|首台|首套|首批次", 0.6),
        (r"知识产权|专利|成果转化|技术转移|技术市场|重点实验室|技术中心|工程(技术)?研究中心", 1.0),
        (r"创新(?!创业)", 0.5),
        (r"数字化|智能化|人工智能|大数据|互联网|信息化|5G|区块链|标准化", 0.4),
    ],
    Category.BUSINESS_ENVIRONMENT: [
        (r"营商环境|放管服|简政放权|商事制度|证照分离|一网通办|一件事|一窗|告知承诺", 1.5),
        (r"审批|行政许可|许可证|核准|证照|政务服务|企业开办|市场准入|准入|备案管理", 0.8),
        (r"涉企|企业服务|服务企业|惠企|公平竞争|信用|减证|便民|流程再造|事中事后|监管", 0.6),
        (r"法治|法律服务|投诉|拖欠|清欠|账款|登记管理", 0.5),
    ],
    Category.TALENT: [
        (r"人才|引才|聚才|高层次|领军|博士后|院士|工匠|技能人才|外国专家|引进专家", 1.2),
        (r"职业技能|技能培训|职业培训|职业教育|技工|职称|继续教育|培养", 0.8),
        (r"就业|招聘|用工|稳岗|见习|人力资源", 0.6),
        (r"股权激励|分红激励", 0.8),
    ],
    Category.TAX: [
        (r"税收|减税|免税|退税|税费|增值税|所得税|税务|税率|纳税|税", 1.2),
        (
            r"降费|涉企收费|行政事业性收费|减负|减轻企业负担|降成本|降低成本|纾困|缓缴|减免|免征",
            1.0,
        ),
        (r"社会保险费|社保费|费率", 0.6),
    ],
    Category.TRADE: [
        (r"外贸|进出口|出口|进口|贸易|跨境|口岸|保税|自由贸易|自贸", 1.2),
        (r"外商投资|外资|外商|招商|投资促进|境外投资|走出去|引进来|台资|港资|侨资", 1.0),
        (
            r"消费|商贸|流通|电子商务|电商|会展|展会|博览会|交易会|洽谈会|商圈|零售|批发|夜间经济",
            1.0,
        ),
        (r"商务|商业|市场|经贸", 0.5),
    ],
    # Government's own business: people, bodies, plans of land, safety, welfare.
    Category.OTHER: [
        (r"任免|任职|免职|聘任|职务|组成人员|工作分工|领导同志分工|参事|烈士|拥军|荣誉称号", 2.0),
        (
            r"领导小组|工作小组|协调小组|联席会议|委员会的通知|组委会|节假日|放假|行政区划|撤乡设镇",
            1.5,
        ),
        (r"机构编制|内设机构|主要职责|职能配置|新闻发言人|公开招聘|事业单位", 1.5),
        (r"批复|复函|城市总体规划|土地利用|文物|历史文化名城|风景名胜|自然保护区|水源保护", 1.0),
        (r"食品安全|食品药品安全|安全生产|消防|火灾|防汛|抗洪|地质灾害|地震|禁毒|防空", 1.0),
        (r"疫情防控|卫生|医疗|医院|医保|计划生育|养老|残疾人|救助|优抚|退役军人", 1.0),
        (r"政务公开|政府信息公开|政府网站|公报|督查|督促检查|考核结果|立法计划|废止|失效", 1.0),
        (r"表彰.*个人|教育(?!培训)|学校|高校|文明|全民健身|体育|党组织|党的建设", 0.8),
        (r"环境保护|生态环境|污染|垃圾|节能|减排|碳达峰|碳中和|水资源|蓝天", 0.8),
        (r"应急|抽检|通报|统计|价格", 0.6),
    ],
}
_RULES = {
    category: [(re.compile(pattern), weight) for pattern, weight in rules]
    for category, rules in RULES.items()
}
TITLE_WEIGHT = 6.0  # a word in the title counts six times a word in the body
BODY_CAP = 3  # a word counts at most this many times in the body
BODY_CHARS = 20_000  # the body read by the rules
RULE_MINIMUM = 6.0  # a title keyword of weight 1, or a body full of its category's words
RULE_LEAD = 1.5  # the winner must score this many times the next


def rule_scores(title, body):
    """{category: score}: each rule's weight per title hit and per body hit (capped)."""
    subject = subject_of(title)
    body = (body or "")[:BODY_CHARS]
    scores = {}
    for category, rules in _RULES.items():
        score = 0.0
        for pattern, weight in rules:
            if pattern.search(subject):
                score += TITLE_WEIGHT * weight
            if body:
                score += weight * min(len(pattern.findall(body)), BODY_CAP)
        if score:
            scores[category] = score
    return scores


def by_rules(title, body, scores=None):
    """The category the rules are confident of, or None."""
    scores = rule_scores(title, body) if scores is None else scores
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] < RULE_MINIMUM:
        return None
    if len(ranked) > 1 and ranked[0][1] < RULE_LEAD * ranked[1][1]:
        return None
    return ranked[0][0]


# --- category: the trained model -----------------------------------------------------------

MODEL_PATH = "policies/classifier.json"
MODEL_VERSION = 2
MODEL_TITLE_WEIGHT = 3  # a title bigram counts three times a body bigram
MODEL_BODY_CHARS = 3000  # the body's opening is what says what a policy is about
# Bigrams are counted in this many buckets (a stable hash), so that training holds a few
# arrays whatever the library's vocabulary; the buckets found in most examples are kept.
MODEL_BUCKETS = 1 << 18
MODEL_FEATURES = 40_000
MODEL_EXAMPLES_MOST = 20_000  # staff's first, then the rules' newest
MODEL_CONFIDENCE = 0.9  # the model decides only when this sure
SMOOTHING = 1.0
HELD_OUT_EVERY = 5  # an example whose key is a multiple of this measures the model
_NOT_WORD = re.compile(rf"[^{CJK}A-Za-z0-9]+")


def features(title, body):
    """Character bigrams of the title's subject (weighted) and of the body's opening, by bucket."""
    counts = Counter()
    for text, weight in (
        (subject_of(title), MODEL_TITLE_WEIGHT),
        ((body or "")[:MODEL_BODY_CHARS], 1),
    ):
        text = _NOT_WORD.sub(" ", text)
        for gram, count in Counter(map(operator.add, text, text[1:])).items():
            if " " not in gram:
                counts[zlib.crc32(gram.encode()) & (MODEL_BUCKETS - 1)] += count * weight
    return counts


@dataclass
class Model:
    """A multinomial naive Bayes: per class, its examples and its (bucketed) bigram counts."""

    classes: list
    documents: dict  # class -> examples
    counts: dict  # class -> {bucket: weighted count}
    trained_at: str = ""
    accuracy: float | None = None
    _table: dict = field(default=None, repr=False)

    def as_json(self):
        return {
            "version": MODEL_VERSION,
            "buckets": MODEL_BUCKETS,
            "trained_at": self.trained_at,
            "accuracy": self.accuracy,
            "classes": self.classes,
            "documents": self.documents,
            "counts": {
                name: {str(bucket): count for bucket, count in counts.items()}
                for name, counts in self.counts.items()
            },
        }

    @classmethod
    def from_json(cls, data):
        if data.get("version") != MODEL_VERSION or data.get("buckets") != MODEL_BUCKETS:
            raise ValueError("a classifier of another version")
        return cls(
            classes=list(data["classes"]),
            documents=dict(data["documents"]),
            counts={
                name: {int(bucket): count for bucket, count in counts.items()}
                for name, counts in data["counts"].items()
            },
            trained_at=data.get("trained_at", ""),
            accuracy=data.get("accuracy"),
        )

    def _prepare(self):
        """Log-probabilities per bucket and class, computed once."""
        if self._table is None:
            vocabulary = set()
            for counts in self.counts.values():
                vocabulary.update(counts)
            size = max(len(vocabulary), 1)
            total_docs = sum(self.documents.values())
            priors, unseen, table = [], [], {}
            for index, name in enumerate(self.classes):
                counts = self.counts.get(name, {})
                denominator = sum(counts.values()) + SMOOTHING * size
                priors.append(math.log(self.documents[name] / total_docs))
                unseen.append(math.log(SMOOTHING / denominator))
                for bucket, count in counts.items():
                    table.setdefault(bucket, [None] * len(self.classes))[index] = math.log(
                        (count + SMOOTHING) / denominator
                    )
            for row in table.values():
                for index, value in enumerate(row):
                    if value is None:
                        row[index] = unseen[index]
            self._table = {"priors": priors, "rows": table}
        return self._table

    def probabilities(self, title, body):
        """{class: posterior probability}, from the bigrams the model knows."""
        table = self._prepare()
        scores = list(table["priors"])
        rows = table["rows"]
        for bucket, count in features(title, body).items():
            row = rows.get(bucket)
            if row is not None:
                for index, value in enumerate(row):
                    scores[index] += count * value
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: value / total for name, value in zip(self.classes, exps, strict=True)}

    def predict(self, title, body):
        """(class, probability) of the likeliest class."""
        probabilities = self.probabilities(title, body)
        best = max(probabilities, key=probabilities.get)
        return best, probabilities[best]


class Tally:
    """Counts for a model, one example at a time: per class, an array of bucket counts."""

    def __init__(self):
        self.documents = Counter()
        self.counts = {}
        self.spread = array("I", bytes(4 * MODEL_BUCKETS))  # examples each bucket is found in

    def add(self, grams, category):
        category = str(category)
        self.documents[category] += 1
        counts = self.counts.get(category)
        if counts is None:
            counts = self.counts[category] = array("I", bytes(4 * MODEL_BUCKETS))
        for bucket, count in grams.items():
            counts[bucket] += count
            self.spread[bucket] += 1

    def model(self, *, most=MODEL_FEATURES):
        """The model of what was added: the ``most`` buckets found in most examples (twice at least)."""
        ranked = sorted(
            (bucket for bucket in range(MODEL_BUCKETS) if self.spread[bucket] >= 2),
            key=lambda bucket: self.spread[bucket],
            reverse=True,
        )[:most]
        counts = {
            category: {bucket: values[bucket] for bucket in ranked if values[bucket]}
            for category, values in self.counts.items()
        }
        return Model(classes=sorted(self.documents), documents=dict(self.documents), counts=counts)


def fit(examples, *, most=MODEL_FEATURES):
    """A model from [(title, body, category)]."""
    tally = Tally()
    for title, body, category in examples:
        tally.add(features(title, body), category)
    return tally.model(most=most)


def training_examples():
    """The policies to learn from, as (pk, title, body's opening, category), read in chunks:
    those whose category staff set, then those a rule decided, newest first, at most
    ``MODEL_EXAMPLES_MOST``."""
    chosen = Policy.objects.exclude(category="").annotate(
        opening=Substr("body", 1, MODEL_BODY_CHARS)
    )
    taken = 0
    for by in (Policy.CategoryBy.STAFF, Policy.CategoryBy.RULE):
        rows = (
            chosen.filter(category_by=by)
            .order_by("-first_seen_at", "-pk")
            .values_list("pk", "title", "opening", "category")[: MODEL_EXAMPLES_MOST - taken]
        )
        for row in rows.iterator(chunk_size=500):
            taken += 1
            yield row


def train(*, examples=None, save=True):
    """Train the model from the library, measure it on the examples kept out, keep it.

    ``examples`` (pk, title, body, category) default to ``training_examples()``;
    those whose key is a multiple of ``HELD_OUT_EVERY`` are kept out of a trial
    model that measures the accuracy, then every example trains the model kept.
    With fewer than two classes there is nothing to learn: no model is written (any
    earlier one stays). Returns a summary: examples, classes, held_out, accuracy, saved.
    """
    reread = examples is None
    examples = training_examples() if reread else examples
    everything, rest, held = Tally(), Tally(), []
    for key, title, body, category in examples:
        grams = features(title, body)
        everything.add(grams, category)
        if key % HELD_OUT_EVERY:
            rest.add(grams, category)
        elif not reread:
            held.append((title, body, str(category)))
    classes = dict(sorted(everything.documents.items()))
    summary = {"examples": sum(classes.values()), "classes": classes}
    if len(classes) < 2:
        summary.update(accuracy=None, held_out=0, saved=False)
        return summary
    if reread:  # read the held-out ones again rather than keep their text all along
        held = [
            (title, body, str(category))
            for key, title, body, category in training_examples()
            if not key % HELD_OUT_EVERY
        ]
    accuracy = None
    if held and len(rest.documents) >= 2:
        trial = rest.model()
        right = sum(trial.predict(title, body)[0] == category for title, body, category in held)
        accuracy = round(right / len(held), 4)
    model = everything.model()
    model.trained_at = clock.now().isoformat()
    model.accuracy = accuracy
    if save:
        save_model(model)
    summary.update(accuracy=accuracy, held_out=len(held), saved=save)
    return summary


def save_model(model):
    """Write the model as JSON, whole or not at all (a reader never sees half a file)."""
    data = json.dumps(model.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
    files.save_whole(MODEL_PATH, data)


_loaded = {"key": None, "model": None}
_loading = threading.Lock()


def load_model():
    """The stored model, read again only when the file changed; None while there is none."""
    try:
        if not default_storage.exists(MODEL_PATH):
            return None
        try:
            key = (default_storage.path(MODEL_PATH), default_storage.get_modified_time(MODEL_PATH))
        except NotImplementedError:
            key = (MODEL_PATH, default_storage.size(MODEL_PATH))
    except OSError:
        return None
    with _loading:
        if _loaded["key"] != key:
            with default_storage.open(MODEL_PATH, "rb") as file:
                model = Model.from_json(json.loads(file.read()))
            _loaded.update(key=key, model=model)
        return _loaded["model"]


def categorize(title, body, *, model=None):
    """(category, category_by): the rules; else the model, when sure and when the words hint
    at its choice (or it says other); else other, undecided.

    The model learns from what staff and the rules decided, so on a text no
    rule speaks to at all its guess rests on chance words: it may only choose
    among the categories some rule found a word of.
    """
    scores = rule_scores(title, body)
    category = by_rules(title, body, scores)
    if category is not None:
        return category, Policy.CategoryBy.RULE
    if model is not None:
        guess, probability = model.predict(title, body)
        hinted = guess == Category.OTHER or scores.get(guess, 0) > 0
        if probability >= MODEL_CONFIDENCE and hinted and guess in Category.values:
            return guess, Policy.CategoryBy.MODEL
    return Category.OTHER, ""


# --- validity ------------------------------------------------------------------------------

_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9, "十": 10})
_NUMBER = r"[0-9０-９〇○零一二两三四五六七八九十]+"
_DATE_TEXT = rf"({_NUMBER})\s*年\s*({_NUMBER})\s*月\s*({_NUMBER})\s*日"
_DATE = re.compile(_DATE_TEXT)


def _number(text):
    """An Arabic or Chinese number: 2024, ２０２４, 二〇二四, 十二, 三十一."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if "十" not in text:  # digit by digit: 二〇二四
        return int("".join(str(_DIGITS[char]) for char in text))
    tens, _sep, ones = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def _date(match):
    try:
        return dt.date(*(_number(part) for part in match.groups()))
    except (ValueError, KeyError):
        return None


def _add_years(day, years):
    """The same day ``years`` later (28 February for a 29 February that is not)."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


_DOCUMENT_DAY = r"(印发|发布|公布|颁布|发文|签发|下发|公告|通告)之日"
_STARTS = re.compile(
    rf"[自从]\s*(?:(?P<date>{_DATE_TEXT})|(?P<day>{_DOCUMENT_DAY}))\s*起"
    rf"(?:(?P<after>{_NUMBER})日后)?\s*(?:正式)?(?:施行|实施|执行|生效|试行)"
)
_PERIOD = re.compile(
    rf"(?:有效期|执行期|实施期|施行期|试行期|执行时间|实施时间)限?(?:为|是|：|:|\s)*[自从]?\s*"
    rf"(?P<start>{_DATE_TEXT})\s*(?:起)?\s*(?:至|到|—|－|-|~|～)\s*(?P<end>{_DATE_TEXT})"
)
_YEARS = re.compile(
    rf"(?:有效期|试行期|执行期|实施期|施行期)限?(?:为|是|：|:)?\s*(?P<years>{_NUMBER})\s*年"
)
_UNTIL = re.compile(
    rf"(?:有效期|执行期|实施期|施行期|试行期|执行|实施|施行|有效)限?(?:为|是|：|:)?\s*"
    rf"(?:截)?至\s*(?P<end>{_DATE_TEXT})"
)


def validity(body, *, published=None, written=None):
    """(valid_from, valid_until) from the body's own words; None where it says nothing clear."""
    text = re.sub(r"[ \t\u3000]+", "", body or "")
    start = end = None
    period = _PERIOD.search(text)
    if period:
        start = _date(_DATE.search(period.group("start")))
        end = _date(_DATE.search(period.group("end")))
    starts = _STARTS.search(text)
    if starts and start is None:
        if starts.group("date"):
            start = _date(_DATE.search(starts.group("date")))
        else:
            word = starts.group("day")
            issued = (
                written or published if word.startswith(("印发", "签发", "发文", "下发")) else None
            )
            start = issued or published or written
            if start is not None and starts.group("after"):
                start += dt.timedelta(days=_number(starts.group("after")))
    if end is None:
        until = _UNTIL.search(text)
        if until:
            end = _date(_DATE.search(until.group("end")))
    if end is None and start is not None:
        years = _YEARS.search(text)
        if years:
            try:
                count = _number(years.group("years"))
            except KeyError:
                count = 0
            if 0 < count <= 50:
                end = _add_years(start, count) - dt.timedelta(days=1)
    if start is not None and end is not None and end < start:
        return start, None  # words that contradict each other say nothing clear
    return start, end


# --- conditions ----------------------------------------------------------------------------

# Sentences of the body that say whom a measure is for.
_TARGET = re.compile(
    r"(支持|扶持|奖励|补贴|资助|申报|申请|适用|服务|补助|受理|享受)(对象|范围|主体|条件|单位)"
)
_SENTENCE = re.compile(r"[^。；;\n]+")


def target_text(title, body):
    """The words that may say whom a policy is for: its title's subject, and those sentences."""
    parts = [subject_of(title)]
    for sentence in _SENTENCE.findall((body or "")[:BODY_CHARS]):
        match = _TARGET.search(sentence)
        if match:
            parts.append(sentence[match.start() :])
    return "\n".join(parts)


# 中小企业 (not 中小企业服务机构, 中小学); the sizes each wording names.
_NOT_FOR_FIRMS = (
    r"(?!(公共)?服务(机构|平台|中心|体系|示范平台)|促进(中心|会)|协会|商会|局|发展促进)"
)
SIZE_WORDS = [
    (re.compile(r"大中小微?企业"), list(Size.values)),
    (re.compile(r"大中型企业"), [Size.LARGE, Size.MEDIUM]),
    (re.compile(r"大型企业(?!集团)|大企业"), [Size.LARGE]),
    (re.compile(r"大型企业集团"), [Size.LARGE]),
    (re.compile(r"中小微企业" + _NOT_FOR_FIRMS), [Size.MEDIUM, Size.SMALL, Size.MICRO]),
    (re.compile(r"(?<![微大])中小企业" + _NOT_FOR_FIRMS), [Size.MEDIUM, Size.SMALL, Size.MICRO]),
    (re.compile(r"(?<!中)小微企业" + _NOT_FOR_FIRMS), [Size.SMALL, Size.MICRO]),
    (re.compile(r"小型微型企业|小型和微型企业|小型、微型企业"), [Size.SMALL, Size.MICRO]),
    (re.compile(r"(?<![小型、和])微型企业|微企"), [Size.MICRO]),
]
TIER_WORDS = [(re.compile(r"(?<!非)重点企业(?!名单)"), [Tier.KEY])]

# GB/T 4754-2017 codes named by words (the narrowest code the words surely mean).
INDUSTRY_WORDS = [
    (r"农林牧渔", "A"),
    # Not 农业产业化 (its leading firms are as often food processors, C13) nor 农业农村 (the ministry).
    (r"(?<!非)农业(?!农村|银行|发展银行|保险|部|厅|局|产业化)", "A"),
    (r"林业(产业|企业|经济)", "A02"),
    (r"畜牧业|畜禽养殖", "A03"),
    (r"(?<![（(])(?<![（(] )渔业(?!局|厅|部|管理|产业化)|水产养殖", "A04"),  # not 农业产业化(渔业)
    (r"煤矿企业|煤炭开采", "B06"),
    (r"(?<!非)制造业|制造企业", "C"),
    (r"纺织(业|工业|行业|企业)", "C17"),
    (r"(生物)?医药(产业|工业|企业|制造)|制药(企业|工业)", "C27"),
    (r"钢铁(产业|工业|行业|企业)", "C31"),
    (r"汽车(产业|工业|制造)", "C36"),
    (r"集成电路(产业|企业|设计|制造)", "C397"),
    (r"建筑业|建筑企业", "E"),
    (r"批发和零售业|批发零售业|零售业|批发业|零售企业", "F"),
    (r"交通运输业|道路运输业|运输企业|物流业|物流企业", "G"),
    (r"邮政业|快递业|快递服务业|快递企业", "G60"),
    (r"住宿和餐饮业|住宿餐饮业|餐饮业|住宿业|餐饮企业", "H"),
    (r"电信(业|企业)", "I63"),
    (r"互联网企业", "I64"),
    (r"软件和信息技术服务业|软件产业|软件业|软件企业", "I65"),
    (r"金融业|金融企业", "J"),
    (r"房地产业|房地产(开发)?企业", "K"),
    (r"科技服务业", "M"),
    (r"文化产业|文化企业", "R"),
]
_INDUSTRY_WORDS = [(re.compile(pattern), code) for pattern, code in INDUSTRY_WORDS]
for _pattern, _code in INDUSTRY_WORDS:
    validate_industry(_code)  # a bad code in this table is a bug, found at import

# Qualifications: (text, how the library's row is known by code or name).
QUALIFICATION_WORDS = [
    ("high-tech", r"高新技术企业|(?<![一-龥])高企", r"高新技术企业"),
    ("little-giant", r"(?<!科技)小巨人", r"小巨人"),
    ("specialized", r"专精特新(?![“”\"'「」]*小巨人)", r"^(?!.*小巨人).*专精特新"),
    ("tech-sme", r"科技型中小企业", r"科技型中小企业"),
    ("gazelle", r"瞪羚", r"瞪羚"),
]
# Wording about gaining a qualification (or listing who gained it), not about holding one.
_GAINING = re.compile(r"认定|申报|申请|培育|评价|评定|遴选|入库|备案|复核|推荐|名单|公示|评估|梯度")


def _found(words, text):
    found = set()
    for pattern, values in words:
        if pattern.search(text):
            found.update(values)
    return found


def sizes_in(text):
    """The sizes the text names; all four (or none) is "any"."""
    found = _found(SIZE_WORDS, text)
    if len(found) == len(Size.values):
        return []
    return [value for value in Size.values if value in found]


def tiers_in(text):
    found = _found(TIER_WORDS, text)
    if len(found) == len(Tier.values):
        return []
    return [value for value in Tier.values if value in found]


def industries_in(text):
    """GB/T 4754 prefixes the text names; a code inside another found one is dropped."""
    found = {code for pattern, code in _INDUSTRY_WORDS if pattern.search(text)}
    return sorted(
        code
        for code in found
        if not any(other != code and code.startswith(other) for other in found)
    )


def qualifications_in(text, rows=None):
    """The library's qualifications the text says a policy's enterprises hold."""
    found = []
    for line in text.split("\n"):
        if _GAINING.search(line):
            continue
        for code, pattern, _name in QUALIFICATION_WORDS:
            if re.search(pattern, line) and code not in found:
                found.append(code)
    if not found:
        return []
    rows = list(Qualification.objects.all()) if rows is None else rows
    chosen = []
    for code, _pattern, name in QUALIFICATION_WORDS:
        if code not in found:
            continue
        match = [row for row in rows if row.code == code] or [
            row for row in rows if re.search(name, row.name)
        ]
        if len(match) == 1 and match[0] not in chosen:
            chosen.append(match[0])
    return chosen


def conditions(title, body):
    """{sizes, tiers, industries, qualifications} read from the title and the target sentences."""
    text = target_text(title, body)
    return {
        "sizes": sizes_in(text),
        "tiers": tiers_in(text),
        "industries": industries_in(text),
        "qualifications": qualifications_in(text),
    }


# --- interpretations -----------------------------------------------------------------------

READING = re.compile(r"解读|图解|一图读懂|一图看懂")
_BOOK = re.compile(r"《([^《》]{4,200})》")
_READING_WORDS = re.compile(
    r"(政策)?(解读|图解|一图读懂|一图看懂)|关于|的$|[：:，,。、\s“”\"（）()【】\[\]]"
)


def is_reading(title):
    return bool(READING.search(title or ""))


def named_policy(title):
    """The policy a reading's title names: in 《…》, else the title without the reading's words."""
    book = _BOOK.search(title or "")
    if book:
        return book.group(1).strip()
    rest = _READING_WORDS.sub("", title or "").strip()
    return rest if len(rest) >= 6 else ""


def _name_of(policy_title):
    """What a policy is called: 关于印发《X》的通知 → X, else its title."""
    book = _BOOK.search(policy_title or "")
    return book.group(1).strip() if book else (policy_title or "").strip()


def interpreted(policy):
    """The library's policy ``policy`` (a reading) explains, or None."""
    if not is_reading(policy.title):
        return None
    name = named_policy(policy.title)
    if not name:
        return None
    others = Policy.objects.exclude(pk=policy.pk) if policy.pk else Policy.objects.all()
    readings = Q(title__contains="解读") | Q(title__contains="图解") | Q(title__contains="一图")
    others = others.exclude(readings)
    for condition in (Q(title=name), Q(title__contains=f"《{name}》"), Q(title__contains=name)):
        found = list(others.filter(condition).only("pk", "title", "region_id", "published")[:20])
        if not found:
            continue
        if policy.published:
            earlier = [
                item
                for item in found
                if item.published is None or item.published <= policy.published
            ]
            found = earlier or found
        same_place = [item for item in found if item.region_id == policy.region_id]
        found = same_place or found
        found.sort(key=lambda item: (item.published or dt.date.min, item.pk), reverse=True)
        return found[0]
    return None


# Readings a policy read after them collects: those published from a week before it to a
# year after (an index on the date finds them; the library's titles are not scanned).
READINGS_BEFORE = dt.timedelta(days=7)
READINGS_AFTER = dt.timedelta(days=365)


def link_readings(policy):
    """Readings already in the library that name ``policy`` and explain nothing yet: link them."""
    if not policy.pk or policy.published is None or is_reading(policy.title):
        return 0
    name = _name_of(policy.title)
    if len(name) < 6:
        return 0
    readings = (
        Policy.objects.filter(
            published__gte=policy.published - READINGS_BEFORE,
            published__lte=policy.published + READINGS_AFTER,
            interprets__isnull=True,
            title__contains=name,
        )
        .filter(Q(title__contains="解读") | Q(title__contains="图解") | Q(title__contains="一图"))
        .exclude(pk=policy.pk)
    )
    linked = 0
    for reading in readings[:20]:
        if "interprets" in reading.corrected:
            continue
        if interpreted(reading) == policy:
            reading.interprets = policy
            reading.save(update_fields=["interprets"])
            linked += 1
    return linked


# --- the whole reading ---------------------------------------------------------------------


def read(policy, source=None, *, model=None):
    """What the machine reads from ``policy`` and its source: {field: value} for MACHINE_FIELDS."""
    level, region = place(policy.title, policy.issuer, source)
    category, category_by = categorize(policy.title, policy.body, model=model)
    valid_from, valid_until = validity(
        policy.body, published=policy.published, written=policy.written
    )
    found = conditions(policy.title, policy.body)
    return {
        "level": level,
        "region": region,
        "category": category,
        "category_by": category_by,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "industries": found["industries"],
        "sizes": found["sizes"],
        "tiers": found["tiers"],
        "qualifications": found["qualifications"],
        "interprets": interpreted(policy),
    }


def source_of(policy):
    """The source a policy was first read through (its first page's), or None."""
    page = (
        policy.pages.select_related("source__region").order_by("pk").first() if policy.pk else None
    )
    return page.source if page is not None else None


def reclassify(policy, source=None, *, model=None):
    """Fill the machine's fields of a saved ``policy`` (save included); returns those changed.

    A field named in ``policy.corrected`` is left as staff set it (``category``
    keeps its ``category_by`` with it). ``source`` defaults to the policy's first.
    """
    if source is None:
        source = source_of(policy)
    if model is None:
        model = load_model()
    found = read(policy, source, model=model)
    corrected = set(policy.corrected or [])
    changed = []
    for name in MACHINE_FIELDS:
        if name in corrected or name == "qualifications":
            continue
        names = ["category", "category_by"] if name == "category" else [name]
        for attribute in names:
            value = found[attribute]
            if attribute in ("region", "interprets"):  # by key: the related row is not loaded
                same = getattr(policy, f"{attribute}_id") == (value.pk if value else None)
            else:
                same = getattr(policy, attribute) == value
            if not same:
                setattr(policy, attribute, value)
                changed.append(attribute)
    if changed:
        policy.save(update_fields=changed)
    if "qualifications" not in corrected:
        wanted = {row.pk for row in found["qualifications"]}
        if set(policy.qualifications.values_list("pk", flat=True)) != wanted:
            policy.qualifications.set(wanted)
            changed.append("qualifications")
    link_readings(policy)
    return changed
