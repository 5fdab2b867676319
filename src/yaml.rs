//! YAML in and out (serde-saphyr). Reading uses YAML 1.2 core booleans only, so `y`, `no`
//! or `on` stay strings: nothing is silently retyped (the "Norway problem").

/// Parses YAML text into any deserialisable type.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, serde_saphyr::options! { strict_booleans: true })
}

/// Writes a value as YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string(value)
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use minijinja::Value;

    #[test]
    fn yaml_11_booleans_stay_strings() {
        let v: IndexMap<String, Value> =
            super::from_str("a: [y, n, yes, no, on, off]\nb: true\nc: False\n").unwrap();
        assert_eq!(v["a"].to_string(), "['y', 'n', 'yes', 'no', 'on', 'off']");
        assert_eq!(v["b"], Value::from(true));
        assert_eq!(v["c"], Value::from(false));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert!(super::from_str::<IndexMap<String, Value>>("a: 1\na: 2\n").is_err());
    }
}
