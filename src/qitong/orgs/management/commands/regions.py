from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.orgs import regions

FORMAT = gettext_lazy(
    "CSV，每行一个区划：代码,名称,上级代码[,继任代码]。"
    "代码为 6 位（GB/T 2260 县级及以上）或 9 位（乡镇、街道统计用区划代码）；"
    "省级的上级代码留空，地级填省，县级填地级（直辖的填省），乡镇、街道填县级。"
    "第 4 列可省略：在用的区划留空；已撤销的填承接其区域的区划代码，无单一承接者填 -。"
    "以 # 开头的行和以 code 或 代码 开头的首行（表头）跳过。UTF-8（可带 BOM）或 GBK 编码。"
    "只新增和更新，不删除：文件中没有的区划保持不变；撤销的区划保留为停用，原有企业仍指向它。"
)


class Command(BaseCommand):
    help = _("行政区划：regions load 文件（新增、更名、撤销；全部成功或全部不写）")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        load = sub.add_parser("load", help=_("从 CSV 文件载入行政区划。") + str(FORMAT))
        load.add_argument("file", help=str(FORMAT))
        load.add_argument(
            "--dry-run", action="store_true", help=_("只检查并报告将做的修改，不写入。")
        )

    def handle(self, *args, operation, file, dry_run, **options):
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(
                _("无法读取文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}
            ) from None
        try:
            with transaction.atomic():
                summary = regions.load(data)
                if dry_run:
                    transaction.set_rollback(True)
        except regions.RegionFileError as exc:
            self.stderr.write(str(exc))
            raise CommandError(
                _("文件 %(file)s 有 %(count)d 处错误，未做任何修改。")
                % {"file": file, "count": len(exc.errors)}
            ) from None
        prefix = _("（试运行，未写入）") if dry_run else ""
        self.stdout.write(prefix + str(summary))
