//! `kenshu gen roster`: a realistic roster CSV (Japanese names, bureaus and sections, the
//! employment kinds a municipal roster holds), the same for the same seed on every machine.

use std::io::Write;

// `--seed` gives the same file on every machine and version.
use kenshu_core::rng::Rng;

const FAMILY: [(&str, &str); 20] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
];
const GIVEN: [(&str, &str); 20] = [
    ("一郎", "イチロウ"),
    ("花子", "ハナコ"),
    ("健太", "ケンタ"),
    ("由美", "ユミ"),
    ("翔", "ショウ"),
    ("美咲", "ミサキ"),
    ("大輔", "ダイスケ"),
    ("陽子", "ヨウコ"),
    ("拓也", "タクヤ"),
    ("真理", "マリ"),
    ("誠", "マコト"),
    ("恵", "メグミ"),
    ("直樹", "ナオキ"),
    ("彩", "アヤ"),
    ("亮", "リョウ"),
    ("裕子", "ユウコ"),
    ("剛", "ツヨシ"),
    ("愛", "アイ"),
    ("修", "オサム"),
    ("舞", "マイ"),
];
const BUREAUS: [&str; 8] = [
    "総務部",
    "市民部",
    "税務部",
    "福祉部",
    "健康部",
    "教育部",
    "都市整備部",
    "環境部",
];
const SECTIONS: [&str; 10] = [
    "総務課",
    "市民課",
    "税務課",
    "福祉課",
    "保険年金課",
    "子育て支援課",
    "介護保険課",
    "障害福祉課",
    "住宅課",
    "企画課",
];
const EMPLOYMENT: [(&str, usize); 5] = [
    ("常勤", 70),
    ("会計年度任用", 20),
    ("再任用", 4),
    ("臨時", 3),
    ("派遣", 3),
];

/// Writes a realistic roster CSV (UTF-8, Japanese headers) for `staff` people in `divisions`
/// sections under a few bureaus. Importable as it is.
///
/// With `changed_percent` > 0, that share of people differ from the file the same seed gives
/// without it, in equal parts: transferred to another section, renamed, or missing (leavers
/// when imported with `--complete`) — the next year's file, for re-import benchmarks.
pub fn gen_roster(
    out: &mut impl Write,
    staff: usize,
    divisions: usize,
    seed: u64,
    changed_percent: usize,
) -> std::io::Result<()> {
    let mut changes = Rng::seeded(seed ^ 0x5EED);
    let mut rng = Rng::seeded(seed);
    let divisions = divisions.max(1);
    let bureaus = divisions.div_ceil(10);
    let mut w = std::io::BufWriter::new(out);
    writeln!(
        w,
        "職員番号,氏名,氏名カナ,メールアドレス,所属コード,所属名,上位所属コード,雇用形態,採用日,在職状況"
    )?;
    for i in 0..staff {
        let number = 100_000 + i;
        let (f, fk) = FAMILY[rng.below(FAMILY.len())];
        let (g, gk) = GIVEN[rng.below(GIVEN.len())];
        let d = rng.below(divisions);
        let b = d % bureaus;
        let mut roll = rng.below(100);
        let employment = EMPLOYMENT
            .iter()
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map(|(e, _)| *e)
            .unwrap_or("常勤");
        let year = 1985 + rng.below(40);
        let month = 1 + rng.below(12);
        let day = 1 + rng.below(28);
        let (mut d, mut b, mut name) = (d, b, format!("{f} {g}"));
        if changed_percent > 0 && changes.below(100) < changed_percent {
            match changes.below(3) {
                0 => {
                    d = (d + 1 + changes.below(divisions.max(2) - 1)) % divisions;
                    b = d % bureaus;
                }
                1 => name = format!("{f} {g}子"),
                _ => continue,
            }
        }
        let section = format!("{}{}", SECTIONS[d % SECTIONS.len()], d / SECTIONS.len() + 1);
        writeln!(
            w,
            "{number},{name},{fk} {gk},s{number}@city.example.lg.jp,D{d:04},{section},B{b:02},{employment},{year}-{month:02}-{day:02},在職"
        )?;
    }
    // One row per bureau head, so that every parent division is in the file.
    for b in 0..bureaus {
        let number = 900_000 + b;
        let bureau = match b / BUREAUS.len() {
            0 => BUREAUS[b].to_string(),
            n => format!("{}第{}", BUREAUS[b % BUREAUS.len()], n + 1),
        };
        writeln!(
            w,
            "{number},部長 {b},ブチョウ,h{number}@city.example.lg.jp,B{b:02},{bureau},,常勤,1990-04-01,在職"
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenshu_core::roster;

    #[test]
    fn a_generated_roster_parses_without_errors_and_is_repeatable() {
        let mut a = Vec::new();
        gen_roster(&mut a, 500, 30, 7, 0).unwrap();
        let mut b = Vec::new();
        gen_roster(&mut b, 500, 30, 7, 0).unwrap();
        assert_eq!(a, b, "the same seed gives the same file");
        let text = String::from_utf8(a).unwrap();
        let roster::Parsed { rows, errors, .. } = roster::parse(&text).unwrap();
        assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(5)]);
        assert_eq!(rows.len(), 503);
        let plan = roster::plan(
            &rows,
            &Default::default(),
            &Default::default(),
            roster::PlanOptions {
                complete: true,
                default_on: kenshu_core::japan_today(),
                today: kenshu_core::japan_today(),
                allow_mass_change: false,
            },
        );
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert_eq!(plan.new_divisions.len(), 33);
    }
}
