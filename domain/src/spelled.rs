//! [`spelled_enum!`]: a field-less enum whose variants each have one stored spelling.
//!
//! Statuses, outcomes and notification names are written to read models and outboxes as text
//! and read back. The macro writes, once for all of them, the spelling table (`as_str`), every
//! variant in order (`ALL`), the parse (`FromStr`, and `TryFrom<String>` for sqlx's
//! `try_from = "String"`) and an error that names what was not recognised, so an unknown
//! spelling is always an error and never a silent default.

/// Declares the enum with its spellings:
///
/// ```ignore
/// spelled_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Colour: UnknownColour("colour") {
///         Red = "RED",
///         Green = "GREEN",
///     }
/// }
/// ```
///
/// `UnknownColour("colour")` declares the error type (`unknown colour "BLUE"`); a bare
/// `UnknownName` uses an error already declared as `struct UnknownName(pub String)`.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $error:ident ( $what:literal ) {
            $( $(#[$vmeta:meta])* $variant:ident = $spelling:literal ),+ $(,)?
        }
    ) => {
        #[doc = concat!("A stored spelling that is none of [`", stringify!($name), "::ALL`].")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis struct $error(pub String);

        impl ::std::fmt::Display for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!("unknown ", $what, " {:?}"), self.0)
            }
        }

        impl ::std::error::Error for $error {}

        $crate::spelled::spelled_enum! {
            $(#[$meta])*
            $vis enum $name : $error {
                $( $(#[$vmeta])* $variant = $spelling ),+
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $error:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $spelling:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in the order they are declared.
            pub const ALL: [Self; [$($spelling),+].len()] = [$(Self::$variant),+];

            /// The stored spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $spelling ),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $error;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::ALL.into_iter().find(|v| v.as_str() == raw).ok_or_else(|| $error(raw.to_owned()))
            }
        }

        /// For read models that store the spelling (sqlx `try_from = "String"`).
        impl TryFrom<String> for $name {
            type Error = $error;

            fn try_from(raw: String) -> Result<Self, Self::Error> {
                raw.parse()
            }
        }
    };
}

pub(crate) use spelled_enum;

#[cfg(test)]
mod tests {
    spelled_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour: UnknownColour("colour") {
            Red = "RED",
            /// A documented variant.
            DarkGreen = "DARK_GREEN",
        }
    }

    #[test]
    fn every_spelling_reads_back_and_an_unknown_one_is_an_error() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkGreen]);
        for colour in Colour::ALL {
            assert_eq!(colour.as_str().parse::<Colour>(), Ok(colour));
            assert_eq!(Colour::try_from(colour.as_str().to_owned()), Ok(colour));
        }
        let error = "dark_green".parse::<Colour>().err();
        assert_eq!(error.as_ref().map(ToString::to_string).as_deref(), Some("unknown colour \"dark_green\""));
    }
}
