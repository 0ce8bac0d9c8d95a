"""Patterns for the page furniture that scraped articles carry: banners, menus, breadcrumbs, share bars, reaction
lists, copyright and disclaimer notices, editor lines, captions, related-story teasers, comment blocks.

Everything here works on one line (or one paragraph) of text at a time, so the same rules serve plain-text dumps,
HTML (after extraction) and Markdown. To teach the cleaner a new kind of junk, add a regular expression to
``JUNK_PATTERNS`` (or a word to one of the vocabularies); ``tests/test_clean.py`` checks that the dirty dev pages
still score.

The rules aim at the *form* of furniture (a label followed by a colon, a short line of menu words, a byline
shape), in Traditional and Simplified Chinese and English, not at the wording of particular sites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# --- vocabularies -------------------------------------------------------------------------------------------

REACTION_WORDS = {
    # zh (both scripts)
    "微笑", "流汗", "難過", "难过", "羨慕", "羡慕", "憤怒", "愤怒", "流淚", "流泪", "開心", "开心", "感動", "感动",
    "支持", "搞笑", "驚訝", "惊讶", "無聊", "无聊", "好笑", "同情", "鼓掌", "點贊", "点赞", "讚", "赞", "踩", "頂",
    "顶", "震驚", "震惊", "擔憂", "担忧", "期待", "憤慨", "愤慨", "無語", "无语", "喜歡", "喜欢", "大哭", "生氣",
    "生气", "驚喜", "惊喜", "心碎", "贊同", "赞同", "反對", "反对", "給力", "给力", "雷人", "淡定",
    # en
    "like", "love", "haha", "wow", "sad", "angry", "care", "upvote", "downvote", "thumbs up", "thumbs down",
    "funny", "happy", "surprised", "informative", "useful", "insightful",
}

SOCIAL_WORDS = {
    "微信", "微博", "新浪微博", "騰訊微博", "腾讯微博", "qq", "qq空間", "qq空间", "qq好友", "豆瓣", "人人網", "人人网",
    "朋友圈", "facebook", "twitter", "x", "linkedin", "whatsapp", "email", "e-mail", "line", "telegram", "reddit",
    "pinterest", "print", "列印", "打印", "複製連結", "复制链接", "copy link", "weibo", "wechat", "噗浪", "plurk",
}

# Labels that stand alone on a line as part of a widget ("作者" over a reaction list, "Tags").
LONE_LABELS = {
    "作者", "author", "來源", "来源", "source", "標籤", "标签", "tags", "tag", "分享", "share", "評論", "评论",
    "comments", "comment", "返回頂部", "返回顶部", "back to top", "top", "打印", "列印", "print", "關閉", "关闭",
    "close", "收藏", "相關新聞", "相关新闻", "相關閱讀", "相关阅读", "熱門推薦", "热门推荐", "推薦閱讀", "推荐阅读",
    "related stories", "related articles", "related news", "most read", "most popular", "trending", "more stories",
    "you may also like", "recommended", "熱門", "热门", "排行", "排行榜", "more", "更多", "read more", "閱讀全文",
    "阅读全文", "點擊查看", "点击查看", "展開全文", "展开全文", "（完）", "(完)", "完", "[完]", "【完】", "the end",
    "advertisement", "advertising", "sponsored", "廣告", "广告", "推廣", "推广", "ad",
}

# Headings that open a block of furniture (the block they head is dropped as a whole in HTML).
SECTION_LABELS = {
    "相關新聞", "相关新闻", "相關閱讀", "相关阅读", "延伸閱讀", "延伸阅读", "推薦閱讀", "推荐阅读", "熱門推薦", "热门推荐",
    "熱門新聞", "热门新闻", "熱門文章", "热门文章", "熱門排行", "热门排行", "猜你喜歡", "猜你喜欢", "相關報導", "相关报道",
    "相關文章", "相关文章", "最新新聞", "最新新闻", "精彩推薦", "精彩推荐", "網友評論", "网友评论", "評論", "评论",
    "related", "related stories", "related articles", "related news", "related content", "most read", "most popular",
    "popular", "trending", "trending now", "more stories", "more from", "you may also like", "recommended",
    "recommended for you", "read next", "comments", "reader comments", "latest news", "editor's picks", "熱門評論", "热门评论", "最新評論", "最新评论",
    "精彩評論", "精彩评论", "討論區", "讨论区", "留言板", "發表評論", "发表评论", "討論規範", "讨论规范",
}


# Headings that open a page's comment board: nothing of the article follows them.
COMMENT_LABELS = {
    "網友評論", "网友评论", "熱門評論", "热门评论", "最新評論", "最新评论", "精彩評論", "精彩评论", "評論", "评论",
    "留言", "討論區", "讨论区", "留言板", "讀者評論", "读者评论", "comments", "reader comments", "discussion",
    "join the conversation", "join the discussion",
}


def is_comment_label(text: str) -> bool:
    s = re.sub(r"[\s:：>»]+$", "", text.strip()).lower()
    return re.sub(r"\s*[（(]\s*\d+\s*[)）]$", "", s) in COMMENT_LABELS


def is_section_label(text: str) -> bool:
    s = re.sub(r"[\s:：>»]+$", "", text.strip()).lower()
    s = re.sub(r"\s*[（(]\s*\d+\s*[)）]$", "", s)
    return s in SECTION_LABELS


_SEP = r"\s*[:：]\s*"

# kind -> patterns (searched in the stripped line, case-insensitive). Order does not matter.
JUNK_PATTERNS: dict[str, list[str]] = {
    "breadcrumb": [
        r"^(首[頁页]|主[頁页]|home|網站首頁|网站首页|當前位置|当前位置|您的位置|你的位置|you are here)"
        r"\s*[:：]?\s*(>|＞|›|»|→|/|>>)",
        r"^(當前位置|当前位置|您的位置|你的位置|您現在的位置|您现在的位置)\s*[:：]",
    ],
    "share_bar": [
        r"^(分享到|分享至|分享給|分享给|一鍵分享|一键分享|share( this( article| story| page)?)?( on| via| to)?)" + _SEP,
        r"^(掃一掃|扫一扫|掃描二維碼|扫描二维码|掃碼|扫码).{0,30}$",
        r"^follow (us|[\w&'-]+( [\w&'-]+){0,3}) on\b[^.!?。]{0,40}$",
    ],
    "editor_line": [
        r"^[(（\[【]?\s*(網絡編輯|网络编辑|責任編輯|责任编辑|責編|责编|編輯|编辑|主編|主编|校對|校对|審核|审核|"
        r"美編|美编|實習編輯|实习编辑|editor|sub-editor|producer)\s*[:：]\s*[^()（）]{1,40}[)）\]】]?$",
        r"^[(（\[]?\s*(edited|editing|reporting|additional reporting) by\s+[^()]{1,60}[)）\]]?$",
        r"^(reporting|additional reporting|writing|compiled) by\s.{1,300}(editing|edited) by\s.{1,120}$",
        r"^[\u3400-\u9fff]{2,10}\s*[／/]\s*(綜合|综合|編譯|编译)?[\u3400-\u9fff]{0,6}(報導|报道|報道|报导)$",
        r"^[(（]\s*(本文)?(來源|来源|source)\s*[:：][^()（）]{1,40}[)）]$",
    ],
    "copyright": [
        r"版權作品|版权作品|版權所有|版权所有|版權歸|版权归|著作權所有|著作权所有",
        r"^(copyright|©|\(c\))\s",
        r"©\s*\d{4}",
        r"all rights reserved",
        r"(轉載|转载).{0,30}(授權|授权|註明|注明|標明|标明|來源|来源|出處|出处)",
        r"(未經|未经).{0,20}(授權|授权|許可|许可).{0,20}(轉載|转载|使用|複製|复制)",
        r"(may not|must not|cannot) be (published|reproduced|copied|republished|redistributed)",
        r"(icp|ICP)\s*[備备证證]|[京滬沪粵粤浙蘇苏]icp[備备证證]",
    ],
    "disclaimer": [
        r"^(免責聲明|免责声明|特別聲明|特别声明|聲明|声明|版權聲明|版权声明|disclaimer|notice|legal notice)" + _SEP,
        r"(we|this (site|website)) uses? cookies|by continuing to (browse|use) (this|our) (site|website)",
        r"^(download|get) (the|our) .{1,60} app\b",
        r"\bavailable on (ios|the app store|google play)",
        r"^(sign up|subscribe|register) (for|to) (our|the) .{0,40}(newsletter|updates|alerts)",
        r"^(訂閱|订阅|關注|关注|下載|下载).{0,20}(電子報|电子报|newsletter|公眾號|公众号|客戶端|客户端|app)",
        r"^(不代表本(站|網|网)|本(站|網|网)(不|僅|仅)).{0,40}(觀點|观点|立場|立场)",
        r"(本文|文章)僅代表作者|(本文|文章)仅代表作者",
        r"^the views and opinions expressed",
    ],
    "related_links": [
        r"^【(?![^】]*(?:報導|报道|報道|报导|專電|专电|[／╱/]))[^】]{1,10}】",
        r"^\[(相關|相关|延伸|推薦|推荐|熱門|热门)[^\]]{0,6}\]",
        r"^(related|read more|see also|more on this|also read|recommended|you may also like|further reading|"
        r"相關閱讀|相关阅读|延伸閱讀|延伸阅读|推薦閱讀|推荐阅读|相關新聞|相关新闻|相關報導|相关报道|相關報道|"
        r"相關文章|相关文章|熱門推薦|热门推荐|熱門文章|热门文章|猜你喜歡|猜你喜欢|看更多|更多新聞|更多新闻|"
        r"上一篇|下一篇|previous|next)\s*[:：|>»]",
    ],
    "image_caption": [
        r"^(photo|image|picture|pictured|credit|photograph|illustration|圖|图|圖片|图片|攝影|摄影|配圖|配图|"
        r"圖片來源|图片来源|圖源|图源|視覺中國|视觉中国)\s*(credit|source|來源|来源)?\s*[:：/／]",
        r"^[(（\[【]\s*(file photo|file image|stock photo|資料圖|资料图|資料照片|资料照片|資料相片|圖片來源[^)）]*|"
        r"图片来源[^)）]*|網絡圖片|网络图片|示意圖|示意图|攝影[^)）]*|摄影[^)）]*|photo[^)）]*|image[^)）]*)"
        r"\s*[)）\]】]$",
        r"^[(（\[【][^()（）\[\]【】]{0,16}(圖|图|照片|相片|攝|摄|photo|image|picture|pictured)[^()（）\[\]【】]{0,24}[)）\]】]$",
        r"^.{0,40}(封面|封底)$",
        r"^(cover|front page) of\b.{0,60}$",
        r"^點擊(圖片|图片|查看大圖)|^点击(图片|查看大图)",
        r"(資料照片|资料照片|資料圖片?|资料图片?|示意圖|示意图)[。.]?$",
        r"^[▲▼△▽]",
        r"[（(](圖|图|照片|攝影|摄影|photo)\s*[／/][^)）]{1,20}[)）]$",
        r"(記者|记者).{1,20}(攝|摄|傳真|传真)\s*\d{2,4}年\d{1,2}月\d{1,2}日\s*[)）]?$",
    ],
    "reader_comments": [
        r"^(網友評論|网友评论|讀者評論|读者评论|熱門評論|热门评论|最新評論|最新评论|評論|评论|留言|comments?|"
        r"reader comments|\d+\s*(條評論|条评论|則留言|则留言|comments?))\s*([（(]\s*\d+\s*[)）])?\s*[:：]",
        r"^(網友評論|网友评论|comments?)\s*[（(]\s*\d+\s*[)）]",
        r"^(發表評論|发表评论|我要評論|我要评论|我來說兩句|我来说两句|leave a (comment|reply)|post a comment|"
        r"join the (conversation|discussion)|已有\d+人)",
        r"^user\d+\s*[:：]",
        # a commenter shown with a masked IP address: "lr9111[219.130.79.*] 认为："
        r"^\S{0,30}\s*[\[［(（]\s*\d{1,3}\.\d{1,3}\.[\d*]{1,3}\.[\d*]{1,3}\s*[\]］)）].{0,12}$",
    ],
    "separator": [
        r"^[\-—―─━_=~*·•＿－＝#.。…\s]{4,}$",
    ],
    "board_rules": [
        # the standing rules of a comment board, and its headings
        r"^(\d+[、.．]\s*)?(請|请|敬請|敬请)(網友|网友)?(自覺|自觉)?(遵守|勿)",
        r"(網友|网友|用戶|用户|留言|評論|评论|發言|发言|言論|言论|討論|讨论).{0,60}"
        r"(本網站?|本网站?|本站|本論壇|本论坛|有權|有权|自負|自负|刪除|删除)",
        r"(本網站?|本网站?|本站|本論壇|本论坛).{0,30}(留言|評論|评论|言論|言论|筆名|笔名|發言|发言)",
        r"(有權|有权).{0,10}(刪除|删除)",
        r"文明上網|文明上网|理性發言|理性发言",
        r"^(討論|讨论|留言|評論|评论|發言|发言)(規範|规范|須知|须知|守則|守则|規則|规则|區|区|板)$",
    ],
    "hotline": [
        r"^(新聞|新闻|報料|报料|爆料|舉報|举报|投訴|投诉|客服|服務|服务|廣告|广告|讀者|读者|違法和不良信息舉報|"
        r"违法和不良信息举报|違法和不良資訊舉報)(熱線|热线|電話|电话|郵箱|邮箱|信箱|專線|专线)\s*[:：]",
        r"(熱線|热线|舉報電話|举报电话|投訴電話|投诉电话)\s*[:：]?\s*\+?[\d\-()（） ]{7,}",
        r"^(news ?)?(tips?|tip line|hotline)\s*:",
        r"(付費會員|付费会员|已過查詢時效|已过查询时效)",
        r"^(subscribe|log in|sign in|register) to (continue|read)",
        r"^[^，。,]{1,14}(專線|专线|熱線|热线|電話|电话)\s*[:：]\s*\+?[\d][\d\-]{2,}\s*([（(][^)）]{0,12}[)）])?$",
        r"^[^\s@]+@[^\s@]+\.[a-z]{2,}$",
        r"^.{0,12}(投稿|投書|投书|爆料)[^。！？.!?]{0,15}$",
    ],
    "inline_junk": [
        r"^【[^】]*(更多|追蹤|追踪|粉絲|粉丝|訂閱|订阅|下載|下载|加入)[^】]*】$",
        r"^(advertisement|advertising|sponsored( content)?|廣告|广告|推廣|推广|\(adsbygoogle.*)$",
        r"^(點擊|点击|click) ?(進入|进入|here|查看|閱讀|阅读).{0,30}$",
        r"^(本文|this (article|story)).{0,12}(字數|字数|閱讀時間|阅读时间|reading time|min read)",
        r"^(閱讀|阅读|瀏覽|浏览|閱讀數|阅读数|views?|reads?)\s*[:：(（]?\s*\d[\d,]*\s*[)）]?$",
        r"^(下載|下载|打開|打开).{0,10}(app|客戶端|客户端).{0,20}$",
    ],
}

_COMPILED = {k: [re.compile(p, re.IGNORECASE) for p in v] for k, v in JUNK_PATTERNS.items()}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_BULLET = re.compile(r"^[•●▪◦‣·\-\*]\s*")
SENTENCE_END = "。．.!?！？;；…"
_MENU_SPLIT = re.compile(r"\s{2,}|\u3000+|\s*[|｜/／·•]\s*")
_WS_SPLIT = re.compile(r"[\s,，、|｜/／]+")


def _token_short(tok: str) -> bool:
    if _CJK.search(tok):
        return len(tok) <= 6
    return len(tok.split()) <= 2 and len(tok) <= 20


def is_menu(line: str) -> bool:
    """A row of short navigation words: `國際  新聞中心  專題  體育`, `Science  Sport  World  Tech`."""
    s = line.strip()
    if not s or s[-1] in SENTENCE_END or len(s) > 120:
        return False
    toks = [t for t in _MENU_SPLIT.split(s) if t]
    return len(toks) >= 3 and all(_token_short(t) for t in toks)


def _norm_word(tok: str) -> str:
    return _BULLET.sub("", tok).strip().lower()


def is_reaction_list(line: str) -> bool:
    """`微笑 流汗 難過`, `• Like`, `赞(12)`: every word is a reaction word (counts allowed)."""
    toks = [re.sub(r"[（(]?\d+[)）]?$", "", _norm_word(t)) for t in _WS_SPLIT.split(line.strip())]
    toks = [t for t in toks if t]
    return bool(toks) and all(t in REACTION_WORDS for t in toks)


def is_social_list(line: str) -> bool:
    toks = [_norm_word(t) for t in _WS_SPLIT.split(line.strip())]
    toks = [t for t in toks if t]
    return len(toks) >= 2 and all(t in SOCIAL_WORDS for t in toks)


_COUNTED = re.compile(r"(.{1,12}?)\s*[（(\[]\s*\d[\d,]*\s*[)）\]]")


def is_lone_label(line: str) -> bool:
    """`作者`, `Tags:`, `0`, `评论(0)`, `Comments (12)`: a widget label or counter standing alone."""
    s = _norm_word(line).rstrip(":：")
    m = _COUNTED.fullmatch(s)
    if m:
        s = m.group(1).strip()
    return s in LONE_LABELS or s in REACTION_WORDS or bool(re.fullmatch(r"[\d\s,.:/()（）+\-]{1,8}", s))


def junk_kind(line: str) -> str | None:
    """The kind of furniture this line is, or None when it may be article text."""
    s = line.strip()
    if not s:
        return None
    if len(s) <= 400:  # long lines are text unless a pattern below is anchored on their start
        for kind, pats in _COMPILED.items():
            if kind in ("copyright",) and len(s) > 250:
                continue
            for p in pats:
                if p.search(s):
                    return kind
    else:
        for kind in ("disclaimer", "related_links", "reader_comments"):
            if any(p.search(s) and p.pattern.startswith("^") for p in _COMPILED[kind]):
                return kind
    if is_reaction_list(s):
        return "reactions"
    if is_social_list(s):
        return "share_bar"
    if is_lone_label(s):
        return "label"
    if is_menu(s):
        return "nav_menu"
    return None


# --- metadata lines (bylines, sources, issue notes, dates) -----------------------------------------------------

_NAME_ZH = r"[\u3400-\u9fff·•A-Za-z]{2,12}(?:[ 、，,][\u3400-\u9fff·]{2,6}){0,3}"
_NAME_EN = r"[A-Z][\w.'\-]+(?:\s+(?:[A-Z][\w.'\-]+|de|van|von|da|del|bin|al))*(?:\s+(?:and|&)\s+[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+)*)?"
_DATE = (
    r"(?i:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}(?:,? \d{1,2}:\d{2}\s*(?:am|pm)?)?"
    r"|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{4})"
)
DATE_RE = re.compile(_DATE, re.IGNORECASE)
_REPORTER_ZH = r"(?:記者|记者|特約記者|特约记者|首席記者|首席记者|實習記者|实习记者|通訊員|通讯员|撰稿人|特約撰稿人|特约撰稿人)"
_REPORT_ZH = r"(?:報道|报道|報導|报导|電|电|訊|讯|專電|专电)"
_PUNCT_SEP = r"\s*[|｜/／]\s*"


@dataclass
class Meta:
    author: str = ""
    source: str = ""
    date: str = ""
    kinds: list[str] = field(default_factory=list)

    def merge(self, other: "Meta") -> None:
        for name in ("author", "source", "date"):
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, getattr(other, name))
        self.kinds.extend(other.kinds)


_META_PATTERNS: list[tuple[str, re.Pattern]] = [
    # 《中國經濟周刊》記者 周琦 | 北京報道 ; 記者 陳曉華／高雄報導 ; 本報記者 李明 北京報道
    ("byline", re.compile(
        rf"^(?:《(?P<source>[^》]{{1,30}})》|本[報报刊台網网]|(?P<source2>[\u3400-\u9fff]{{2,12}}(?:社|網|网|報|报|台)))?\s*"
        rf"{_REPORTER_ZH}\s*(?P<author>{_NAME_ZH}?)\s*(?:{_PUNCT_SEP}|\s+)?"
        rf"(?:(?P<place>[\u3400-\u9fff]{{2,8}}?){_REPORT_ZH})?\s*(?:(?P<date>{_DATE}))?$")),
    # 文／周琦 ; 作者：周琦 ; 撰文 | 周琦
    ("byline", re.compile(rf"^(?:文|撰文|作者|文字|採訪|采访|整理)\s*[:：/／|｜]\s*(?P<author>{_NAME_ZH})\s*(?:(?P<date>{_DATE}))?$")),
    # By Priya Raman | New York | 2021-05-08 16:56
    ("byline", re.compile(
        rf"^(?i:by)\s+(?P<author>{_NAME_EN})\s*(?:(?:{_PUNCT_SEP}|,\s*)(?P<place>[A-Z][\w .'\-]{{1,30}}?))?"
        rf"\s*(?:(?:{_PUNCT_SEP}|,\s*)(?i:(?:updated|published|posted)\s*:?\s*)?(?P<date>{_DATE}))?\s*$")),
    # Mark Ellison, Staff Reporter
    ("byline", re.compile(
        rf"^(?P<author>{_NAME_EN}),\s*(?i:(?:senior|chief|staff|special|foreign|political|business|science|"
        r"sports?|tech(?:nology)?|health|education|contributing|associate|deputy|news)\s+)*"
        r"(?i:reporter|writer|correspondent|editor|columnist|contributor|journalist)"
        rf"(?:\s*(?:{_PUNCT_SEP}|,\s*)(?P<date>{_DATE}))?$")),
    # 來源：每日新聞網  2015-06-05 16:58 ; Source: Metro News | Updated 2021-12-20 21:29
    ("source_line", re.compile(
        rf"^(?:來源|来源|出處|出处|source)\s*[:：]\s*(?P<source>[^|｜\d]{{1,40}}?)\s*(?:{_PUNCT_SEP})?\s*"
        rf"(?:(?:updated|published|posted|更新|發布|发布|發佈|发表|發表)(?:時間|时间|於|于)?\s*[:：]?\s*)?(?P<date>{_DATE})?\s*"
        rf"(?:(?:{_PUNCT_SEP})?(?:作者|author|by)\s*[:：]?\s*(?P<author>[^|｜]{{1,30}}))?$", re.IGNORECASE)),
    # (本文刊發于《中國經濟周刊》2018年第5期)
    ("issue_note", re.compile(
        r"^[(（]\s*(?:本文|此文|原文)?\s*(?:刊發|刊发|刊登|原載|原载|發表|发表|載|载|首發|首发)(?:於|于|在)?\s*"
        r"《(?P<source>[^》]{1,30})》\s*(?P<date>[^)）]{0,30}?)\s*[)）]$")),
    # (This article appeared in the 2023 issue 1 of The Evening Courier.)
    ("issue_note", re.compile(
        r"^\(\s*(?:this|the) (?:article|story|piece|report) (?:first )?(?:appeared|was (?:first )?published|ran)"
        r" (?:in|on) (?:the )?(?P<date>.{1,40}?) (?:of|edition of|issue of) (?P<source>.{1,60}?)\.?\s*\)$",
        re.IGNORECASE)),
    # Published: 2021-05-08 ; 發布時間：2018-06-04 05:53 ; 2017-07-15 08:57
    ("date_line", re.compile(
        rf"^(?:(?:published|updated|posted|date|日期|時間|时间|發布時間|发布时间|發佈時間|(?:最新)?更新(?:時間|时间)?|"
        rf"發表時間|发表时间|發稿時間|发稿时间)\s*(?:on)?\s*[:：]?\s*)?(?P<date>{_DATE})\s*(?:[|｜].{{0,20}})?$",
        re.IGNORECASE)),
]


def parse_meta_line(line: str) -> Meta | None:
    """Byline / source / issue / date lines: the fields they hold, or None if the line is not one."""
    s = line.strip()
    if not s or len(s) > 120:
        return None
    for kind, pat in _META_PATTERNS:
        m = pat.match(s)
        if not m:
            continue
        g = m.groupdict()
        meta = Meta(
            author=(g.get("author") or "").strip(" ,，|｜"),
            source=(g.get("source") or g.get("source2") or "").strip(" ,，|｜"),
            date=(g.get("date") or "").strip(),
            kinds=[kind],
        )
        if kind == "byline" and not meta.author and not meta.source:
            continue
        return meta
    return _info_line(s)


_INFO_LABEL = re.compile(r"(來源|来源|作者|source|author)\s*[:：]", re.IGNORECASE)
_INFO_SOURCE = re.compile(r"(?:來源|来源|source)\s*[:：]\s*([^\s|｜]{1,30})", re.IGNORECASE)
_INFO_AUTHOR = re.compile(r"(?:作者|author)\s*[:：]\s*([^\s|｜]{1,30})", re.IGNORECASE)


def _info_line(s: str) -> Meta | None:
    """`2023-07-05 10:12 来源：某某网 作者：李明`: a short line of labelled fields around a date, in any order."""
    if len(s) > 100 or not DATE_RE.search(s) or not _INFO_LABEL.search(s):
        return None
    rest = _INFO_SOURCE.sub("", _INFO_AUTHOR.sub("", DATE_RE.sub("", s)))
    if len(re.sub(r"[\s|｜:：\d]", "", rest)) > 8:  # more than labels and fields: a sentence, not an info bar
        return None
    src, auth = _INFO_SOURCE.search(s), _INFO_AUTHOR.search(s)
    return Meta(author=auth.group(1) if auth else "", source=src.group(1) if src else "",
                date=DATE_RE.search(s).group(0), kinds=["info_line"])


def is_separator(line: str) -> bool:
    return any(p.search(line.strip()) for p in _COMPILED["separator"])
