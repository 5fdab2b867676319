//! Arguments with a fixed set of values (`state = "present"`), as enums: the spec lists the
//! names for `eov check`, and a module matches on the variant, never on a string.

/// A closed set of argument values.
pub trait Choice: Copy + Sized + 'static {
    /// Every value with its name, as written in a play.
    const ALL: &'static [(&'static str, Self)];
}

/// Defines an enum of argument values and its names: `choice!(Presence { Present = "present",
/// Absent = "absent" })`. `NAMES` goes in the module's spec.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];
        }

        impl $crate::modules::choice::Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, $name::$variant)),+];
        }
    };
}

pub(crate) use choice;

choice!(
    /// `state` of the modules that make something be there or not.
    Presence {
        Present = "present",
        Absent = "absent",
    }
);

/// The name of a value, as written in a play.
pub fn name_of<T: Choice + PartialEq>(value: T) -> &'static str {
    T::ALL
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(n, _)| n)
}
