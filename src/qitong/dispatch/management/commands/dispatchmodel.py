import csv
import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.dispatch import corpus, model, suggest
from qitong.dispatch.model import Model, scores


class Command(BaseCommand):
    help = _(
        "分拨模型：train 从 CSV 训练文本分类模型；eval 在 CSV 上评测并打印 JSON；"
        "retrain 用本系统的历史诉求重新训练分类与牵头单位模型。"
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        train = commands.add_parser("train", help=_("从 CSV 训练模型并保存"))
        evaluate = commands.add_parser("eval", help=_("在 CSV 上评测模型"))
        for sub in (train, evaluate):
            sub.add_argument("--csv", required=True, help=_("UTF-8 CSV 文件"))
            sub.add_argument(
                "--text", required=True, help=_("文本列，可用 + 连接多列，如 留言主题+留言详情")
            )
            sub.add_argument("--label", required=True, help=_("标签列"))
        train.add_argument("--out", required=True, help=_("模型文件的保存路径"))
        train.add_argument("--c", type=float, default=0.7, help=_("SVM 的正则化参数 C"))
        evaluate.add_argument("--model", required=True, help=_("模型文件"))
        evaluate.add_argument("--predictions", help=_("逐行写出文本、标签与预测标签的 CSV"))
        commands.add_parser("retrain", help=_("用本系统的历史诉求重新训练（分类、牵头单位）"))

    def handle(self, *args, subcommand, **options):
        try:
            if subcommand == "train":
                summary = self.train(**options)
            elif subcommand == "eval":
                summary = self.evaluate(**options)
            else:
                summary = suggest.retrain()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def train(self, *, csv, text, label, out, c, **_options):
        texts, labels = corpus.read_csv(csv, text, label)
        started = time.perf_counter()
        try:
            fitted = model.fit(texts, labels, c=c)
        except ValueError as exc:
            raise ValidationError(_("无法训练：%(error)s") % {"error": exc}) from None
        seconds = time.perf_counter() - started
        try:
            fitted.save(out)
        except OSError as exc:
            raise ValidationError(_("无法保存模型：%(error)s") % {"error": exc}) from None
        return {
            "examples": len(texts),
            "labels": fitted.labels,
            "seconds": round(seconds, 1),
            "out": out,
        }

    def evaluate(self, *, csv, text, label, model, predictions, **_options):
        try:
            fitted = Model.load(model)
        except (OSError, ValueError, EOFError) as exc:
            raise ValidationError(_("无法读取模型：%(error)s") % {"error": exc}) from None
        texts, labels = corpus.read_csv(csv, text, label)
        predicted = fitted.predict(texts)
        if predictions:
            _write_predictions(predictions, texts, labels, predicted)
        return scores(labels, predicted)


def _write_predictions(path, texts, labels, predicted):
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["text", "label", "predicted"])
            writer.writerows(zip(texts, labels, predicted, strict=True))
    except OSError as exc:
        raise ValidationError(_("无法写出预测结果：%(error)s") % {"error": exc}) from None
