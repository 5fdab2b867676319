//! Ansible's own test of INI value types (`test/integration/targets/inventory_ini`:
//! `inventory.ini` + `test_types.yml` in ansible/ansible), rewritten for eov: the same 18
//! values in an `[all:vars]` section, the same 18 assertions, one task each.

use crate::support::{Test, recap};

/// (INI line, assertion on its value): Ansible's cases and expectations.
const CASES: &[(&str, &str)] = &[
    ("value_bool=True", "value_bool == True"),
    ("value_int=1", "value_int == 1"),
    ("value_float=1.2", "value_float == 1.2"),
    // complex numbers fall back to their text
    ("value_complex=1j", "value_complex == '1j'"),
    (
        "value_str_single_quote='single'",
        "value_str_single_quote == 'single'",
    ),
    (
        "value_str_double_quote=\"double\"",
        "value_str_double_quote == 'double'",
    ),
    // bytes become text
    (
        "value_bytes_single_quote=b'single'",
        "value_bytes_single_quote == 'single'",
    ),
    (
        "value_bytes_double_quote=b\"double\"",
        "value_bytes_double_quote == 'double'",
    ),
    // Ellipsis falls back to its text
    ("value_ellipsis=...", "value_ellipsis == '...'"),
    ("value_dict={\"a\": \"b\"}", "value_dict == {'a': 'b'}"),
    ("value_list=[1, 2]", "value_list == [1, 2]"),
    // tuples and sets become lists
    ("value_tuple=(1, 2)", "value_tuple == [1, 2]"),
    ("value_set={1, 2}", "value_set == [1, 2]"),
    ("value_empty_set=set()", "value_empty_set == []"),
    ("value_none=None", "value_none is none"),
    ("value_invalid=invalid", "value_invalid == 'invalid'"),
    (
        "value_list_with_fallbacks=[..., 1j, set(), {1, 2}, b'x']",
        "value_list_with_fallbacks == ['...', '1j', [], [1, 2], 'x']",
    ),
    // not a literal (an invalid decimal literal to Python): the text itself
    (
        "value_invalid_decimal_literal=host-01.internal",
        "value_invalid_decimal_literal == 'host-01.internal'",
    ),
];

#[test]
fn ansible_ini_value_types() {
    assert_eq!(CASES.len(), 18);
    let t = Test::new();
    let mut ini = String::from("[local]\ntesthost eov_connection=local\n\n[all:vars]\n");
    for (line, _) in CASES {
        ini.push_str(line);
        ini.push('\n');
    }
    t.file("inventory.ini", &ini);
    let mut play = String::from("play \"types\" on \"local\" {\n");
    for (n, (_, that)) in CASES.iter().enumerate() {
        play.push_str(&format!(
            "  task \"assertion {n}\" {{ assert {{ that = \"{that}\" }} }}\n"
        ));
    }
    play.push_str("}\n");
    t.file("test_types.eov", &play);
    let out = t.run(&["run", "test_types.eov", "-i", "inventory.ini"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        recap(&out.stdout, "testhost"),
        "ok=18 changed=0 failed=0 skipped=0 unreachable=0 ignored=0 rescued=0"
    );
}

#[test]
fn ini_host_lines_are_typed_too() {
    let t = Test::new();
    t.file(
        "inv",
        "[web]\nw1 eov_connection=local ports=\"[80, 443]\" ratio=0.5 name='a b' # a comment\n",
    );
    let out = t.run(&["inventory", "-i", "inv", "--host", "w1", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ports"], serde_json::json!([80, 443]));
    assert_eq!(v["ratio"], serde_json::json!(0.5));
    assert_eq!(v["name"], serde_json::json!("a b"));
    assert_eq!(v.as_object().unwrap().len(), 4, "{v}");
}
