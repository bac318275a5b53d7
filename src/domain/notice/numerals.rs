//! Numbers as notices write them: Arabic and full-width digits (15, １５), Chinese numerals
//! (十二, 二十五, 两, 廿, 一百二十), and years written digit by digit (二〇二二).

/// The value of a number token, or none when the text is not one.
pub fn number(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)) {
        return t.chars().try_fold(0u32, |n, c| n.checked_mul(10)?.checked_add(digit(c)?));
    }
    // Digit by digit (二〇二二, 一九): every character a digit, none a unit.
    if t.chars().count() > 1 && t.chars().all(|c| digit(c).is_some()) {
        return t.chars().try_fold(0u32, |n, c| n.checked_mul(10)?.checked_add(digit(c)?));
    }
    let (mut total, mut section, mut current) = (0u32, 0u32, 0u32);
    for c in t.chars() {
        match c {
            '十' | '拾' => {
                section += if current == 0 { 10 } else { current * 10 };
                current = 0;
            }
            '廿' => {
                section += 20;
                current = 0;
            }
            '百' | '佰' => {
                section += current.max(1) * 100;
                current = 0;
            }
            '千' | '仟' => {
                section += current.max(1) * 1000;
                current = 0;
            }
            '万' => {
                total += (section + current).max(1) * 10_000;
                section = 0;
                current = 0;
            }
            _ => current = digit(c)?,
        }
    }
    Some(total + section + current)
}

/// One digit: 0–9 in any of the ways notices write it.
fn digit(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c as u32 - '0' as u32,
        '０'..='９' => c as u32 - '０' as u32,
        '〇' | '零' | 'Ｏ' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// The characters a number token is made of (for patterns).
pub const NUMBER_CHARS: &str = "0-9０-９〇零一二两三四五六七八九十廿百千";

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_as_notices_write_them() {
        for (text, want) in [
            ("15", Some(15)),
            ("１５", Some(15)),
            ("一", Some(1)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("二十五", Some(25)),
            ("廿五", Some(25)),
            ("两", Some(2)),
            ("一百二十", Some(120)),
            ("三百", Some(300)),
            ("一千零五", Some(1005)),
            ("三万", Some(30_000)),
            ("二〇二二", Some(2022)),
            ("二零一九", Some(2019)),
            ("", None),
            ("十月", None),
            ("abc", None),
        ] {
            assert_eq!(number(text), want, "{text}");
        }
    }
}
