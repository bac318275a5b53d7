//! The structure of an official document: headings numbered 一、 （一） 1. （1） (and 附件N), each
//! with the stretch of text it governs, and the text cut into sentences.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A heading and what it governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 = 一、, 2 = （一）, 3 = 1., 4 = （1）; 0 = 附件.
    pub level: u8,
    /// The number as written (一, 三, 2), empty for an annex without one.
    pub number: String,
    /// The heading's words: the line after its number, up to the first 。 (a run-in heading
    /// ends there).
    pub title: String,
    /// Byte offsets: the heading's line.
    pub line: Range<usize>,
    /// Byte offsets: from the heading to the next heading of its level or above.
    pub body: Range<usize>,
}

static NUMBERED: LazyLock<[(u8, Regex); 5]> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).expect("heading patterns are valid");
    [
        (0, re(r"^\s*附件\s*(?P<n>[0-9一二三四五六七八九十]*)[:：]?")),
        (1, re(r"^\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[、，,．.]")),
        (2, re(r"^\s*[（(]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[）)]")),
        (3, re(r"^\s*(?P<n>[0-9]{1,2})\s*[.．、]")),
        (4, re(r"^\s*[（(]\s*(?P<n>[0-9]{1,2})\s*[）)]")),
    ]
});

/// The headings of `text`, in order, each with the text it governs.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut out: Vec<Heading> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let range = at..at + line.trim_end().len();
        at += line.len();
        for (level, re) in NUMBERED.iter() {
            let Some(c) = re.captures(line) else { continue };
            let head = c.get(0).expect("group 0");
            let rest = line[head.end()..].trim();
            // "1.5万元" is a number, not item 1; an item needs words after its number.
            if *level == 3 && (rest.is_empty() || rest.starts_with(|ch: char| ch.is_ascii_digit())) {
                break;
            }
            let title: String = rest.split(['。', '\n']).next().unwrap_or_default().trim().to_owned();
            out.push(Heading {
                level: *level,
                number: c.name("n").map(|n| n.as_str().to_owned()).unwrap_or_default(),
                title,
                line: range.clone(),
                body: range.start..text.len(),
            });
            break;
        }
    }
    // Each heading governs the text up to the next heading of its level or above (an annex
    // ends everything before it).
    for i in 0..out.len() {
        let level = out[i].level;
        let end = out[i + 1..]
            .iter()
            .find(|h| h.level == 0 || (level != 0 && h.level <= level))
            .map(|h| h.line.start)
            .unwrap_or(text.len());
        out[i].body.end = end;
    }
    out
}

/// The sentences of `text` within `range`, as byte ranges: cut after 。！？；; and at line ends,
/// not inside 《》 or brackets.
pub fn sentences(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    let mut depth = 0i32;
    for (i, ch) in text[range.clone()].char_indices() {
        let i = range.start + i;
        match ch {
            '《' | '（' | '(' | '“' => depth += 1,
            '》' | '）' | ')' | '”' => depth = (depth - 1).max(0),
            _ => {}
        }
        let cut = matches!(ch, '\n') || (depth == 0 && matches!(ch, '。' | '！' | '？' | '；' | ';'));
        if cut {
            let end = i + ch.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(trim(text, start..end));
            }
            start = end;
            if ch == '\n' {
                depth = 0;
            }
        }
    }
    if !text[start..range.end].trim().is_empty() {
        out.push(trim(text, start..range.end));
    }
    out
}

/// The range without surrounding white space.
fn trim(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let tail = s.len() - s.trim_end().len();
    r.start + lead..r.end - tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_levels_and_what_they_govern() {
        let text = "通知如下。\n一、总体要求\n以……为指导。\n二、试点方向\n每个设区市选择1-2个。\n1.针对低保对象。\n2.联动家庭。\n三、实施步骤\n(一)部署阶段(2022年8月下旬至2022年9月中旬)。试点单位制定方案。\n（二）实施阶段。全面推行。\n（1）细项\n附件1\n名单";
        let h = headings(text);
        let shown: Vec<(u8, &str, &str)> = h.iter().map(|h| (h.level, h.number.as_str(), h.title.as_str())).collect();
        assert_eq!(
            shown,
            [
                (1, "一", "总体要求"),
                (1, "二", "试点方向"),
                (3, "1", "针对低保对象"),
                (3, "2", "联动家庭"),
                (1, "三", "实施步骤"),
                (2, "一", "部署阶段(2022年8月下旬至2022年9月中旬)"),
                (2, "二", "实施阶段"),
                (4, "1", "细项"),
                (0, "1", ""),
            ]
        );
        assert!(text[h[1].body.clone()].contains("2.联动家庭") && !text[h[1].body.clone()].contains("三、"));
        assert!(text[h[4].body.clone()].ends_with("（1）细项\n"), "三、 runs to the annex");
        assert_eq!(&text[h[6].body.clone()], "（二）实施阶段。全面推行。\n（1）细项\n");
    }

    #[test]
    fn sentences_are_cut_outside_brackets() {
        let text =
            "试点方案经审定后,于2022年9月20日前报省民政厅备案(平潭直接报送。见附件)。各地要重视；确保推进。\n下一行";
        let s: Vec<&str> = sentences(text, 0..text.len()).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            s,
            [
                "试点方案经审定后,于2022年9月20日前报省民政厅备案(平潭直接报送。见附件)。",
                "各地要重视；",
                "确保推进。",
                "下一行"
            ]
        );
    }
}
