//! The facts a notice states about itself: its title, the issuing authority (发文机关, also
//! from the signature block), its number (文号, `闽民助〔2022〕98号`) and its date (成文日期,
//! also at the end, over or under the signature).

use std::ops::Range;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::dates::{self, When};

/// One fact and where the notice states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact<T> {
    pub value: T,
    /// Byte offsets in the text.
    pub span: Range<usize>,
    pub confidence: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub title: Option<Fact<String>>,
    pub issuer: Option<Fact<String>>,
    pub doc_number: Option<Fact<String>>,
    pub issued: Option<Fact<NaiveDate>>,
}

/// A 文号: an issuer's abbreviation, the year in 〔〕 (or brackets as typed), a number, 号.
pub static DOC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}]{1,8}\s*[〔\[［(（【]\s*(?:19|20)[0-9]{2}\s*[〕\]］)）】]\s*[0-9]{1,4}\s*号").expect("valid")
});
static DATE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:19|20)[0-9]{2}\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日\s*$").expect("valid"));
static ORGANISATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*[\p{Han}（）()]{2,40}(?:厅|局|办公室|办公厅|人民政府|委员会|管委会|领导小组|中心|部)\s*$")
        .expect("valid")
});
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:关于|印发)[^\n]{0,80}?(?:通知|方案|意见|办法|决定|通报)|[\p{Han}]{2,40}(?:试点方案|实施方案|工作方案)",
    )
    .expect("valid")
});

/// Lines with their byte ranges.
fn lines(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut at = 0;
    text.split_inclusive('\n')
        .map(|l| {
            let r = at..at + l.trim_end().len();
            at += l.len();
            (r, l.trim_end())
        })
        .collect()
}

/// Reads the header facts of `text`.
pub fn read(text: &str) -> Header {
    let lines = lines(text);
    let head: Vec<&(Range<usize>, &str)> = lines.iter().filter(|(_, l)| !l.trim().is_empty()).take(12).collect();
    let mut h = Header::default();

    // 文号: standing alone near the top, or opening the title line; numbers cited in the body
    // (依据《…》(民发〔2022〕19号)) are other documents'.
    for (r, l) in &head {
        if let Some(m) = DOC_NUMBER.find(l)
            && (l.trim().len() == m.as_str().len() || l.trim_start().starts_with(m.as_str()))
        {
            let start = r.start + (l.len() - l.trim_start().len());
            h.doc_number = Some(Fact {
                value: m.as_str().split_whitespace().collect(),
                span: start..start + m.as_str().len(),
                confidence: 95,
            });
            break;
        }
    }

    // Title: the first line near the top that reads like one; a title broken over two lines
    // (an open 《) is joined.
    for (i, (r, l)) in head.iter().enumerate() {
        if l.contains("位置") || l.contains("首页") {
            continue; // a web page's breadcrumb
        }
        let mut value = l.trim().to_owned();
        let mut span = r.clone();
        if value.matches('《').count() > value.matches('》').count()
            && let Some((r2, l2)) = head.get(i + 1)
        {
            value.push_str(l2.trim());
            span.end = r2.end;
        }
        // A title is a short line of its own, not a sentence of the body.
        if !TITLE.is_match(&value) || value.ends_with(['。', ':', '：', ',', '，']) || value.chars().count() > 80 {
            continue;
        }
        // Drop a leading 文号 and the 《》 a list of documents puts round a title.
        if let Some(n) = DOC_NUMBER.find(&value)
            && n.start() == 0
        {
            value = value[n.end()..].to_owned();
        }
        let value = value.trim_start_matches('《').trim_end_matches('》').split_whitespace().collect::<String>();
        h.title = Some(Fact { value, span, confidence: 85 });
        break;
    }

    // Signature block: an organisation on one line and a full date on the next (or the date
    // under a blank line); the last such pair is the signature.
    let nonblank: Vec<&(Range<usize>, &str)> = lines.iter().filter(|(_, l)| !l.trim().is_empty()).collect();
    for w in nonblank.windows(2).rev() {
        let ((r1, l1), (r2, l2)) = (&w[0], &w[1]);
        if ORGANISATION.is_match(l1) && DATE_LINE.is_match(l2) {
            h.issuer = Some(Fact { value: l1.trim().to_owned(), span: r1.clone(), confidence: 90 });
            if let Some(d) = full_date(l2) {
                h.issued = Some(Fact { value: d, span: r2.clone(), confidence: 90 });
            }
            break;
        }
    }
    // Failing that: the issuer from the title (…办公室关于…), the date from a date line.
    if h.issuer.is_none()
        && let Some(t) = &h.title
        && let Some((issuer, _)) = t.value.split_once("关于")
        && issuer.chars().count() >= 2
    {
        h.issuer = Some(Fact { value: issuer.trim().to_owned(), span: t.span.clone(), confidence: 70 });
    }
    if h.issuer.is_none()
        && let Some((r, l)) = nonblank.iter().rev().find(|(_, l)| ORGANISATION.is_match(l))
    {
        h.issuer = Some(Fact { value: l.trim().to_owned(), span: r.clone(), confidence: 60 });
    }
    if h.issued.is_none()
        && let Some((r, l)) = nonblank.iter().find(|(_, l)| DATE_LINE.is_match(l))
        && let Some(d) = full_date(l)
    {
        h.issued = Some(Fact { value: d, span: r.clone(), confidence: 80 });
    }
    h
}

fn full_date(line: &str) -> Option<NaiveDate> {
    match dates::find(line, None).into_iter().next()?.when {
        When::Days { first, last, .. } if first == last => Some(first),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_from_the_top_and_the_signature() {
        let text = "榕政办〔2020〕46号《福州市人民政府办公厅关于印发建立特殊困难群众帮扶服务工作机制实施方案的通知》\n福州市人民政府办公厅关于印发建立特殊困难群众帮扶服务工作机制实施方案的通知\n榕政办〔2020〕46号\n各县(市)区人民政府:\n现印发给你们。\n福州市人民政府办公厅\n2020年4月16日\n\n依据(民发〔2022〕19号)";
        let h = read(text);
        assert_eq!(h.doc_number.as_ref().unwrap().value, "榕政办〔2020〕46号");
        assert_eq!(
            h.title.unwrap().value,
            "福州市人民政府办公厅关于印发建立特殊困难群众帮扶服务工作机制实施方案的通知"
        );
        assert_eq!(h.issuer.unwrap().value, "福州市人民政府办公厅");
        assert_eq!(h.issued.unwrap().value.to_string(), "2020-04-16");
        let n = h.doc_number.unwrap();
        assert_eq!(&text[n.span], "榕政办〔2020〕46号");
    }

    #[test]
    fn a_title_over_two_lines_and_a_signature_at_the_end() {
        let text = "市人民政府办公室关于印发《石嘴山市\n开展全国服务类社会救助试点工作方案》的通知\n各县区人民政府:\n正文。\n石嘴山市人民政府办公室\n2024年11月13日\n";
        let h = read(text);
        assert_eq!(
            h.title.unwrap().value,
            "市人民政府办公室关于印发《石嘴山市开展全国服务类社会救助试点工作方案》的通知"
        );
        assert_eq!(h.issuer.unwrap().value, "石嘴山市人民政府办公室");
        assert_eq!(h.issued.unwrap().value.to_string(), "2024-11-13");
        assert!(h.doc_number.is_none());
        let h = read("各设区市民政局:\n通知如下。\n福建省民政厅\n2022年8月17日\n(此件主动公开)");
        assert_eq!(
            (h.issuer.unwrap().value.as_str(), h.issued.unwrap().value.to_string().as_str()),
            ("福建省民政厅", "2022-08-17")
        );
        assert!(h.title.is_none(), "no title line");
    }
}
