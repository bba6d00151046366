//! Newtypes that parse registration input once, so the rest of the code never re-validates.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("username must be 3 to 32 characters long")]
    UsernameLength,
    #[error("username may only contain letters, digits, '.', '_' and '-'")]
    UsernameCharacters,
    #[error("email address is not valid")]
    EmailInvalid,
    #[error("password must be at least {min} characters long", min = Password::MIN_LEN)]
    PasswordTooShort,
    #[error("password must be at most {max} characters long", max = Password::MAX_LEN)]
    PasswordTooLong,
    #[error("password must contain at least one letter and one digit")]
    PasswordTooSimple,
}

/// A username: 3-32 of `[a-z0-9._-]`, stored lower-case so `Alice` and `alice` are one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        let name = raw.trim().to_ascii_lowercase();
        if !(3..=32).contains(&name.chars().count()) {
            return Err(CredentialError::UsernameLength);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !name.chars().all(allowed) {
            return Err(CredentialError::UsernameCharacters);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address with one `@`, a non-empty local part and a dotted domain; lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        let email = raw.trim().to_ascii_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err(CredentialError::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password meeting the minimum policy. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        let length = raw.chars().count();
        if length < Self::MIN_LEN {
            return Err(CredentialError::PasswordTooShort);
        }
        if length > Self::MAX_LEN {
            return Err(CredentialError::PasswordTooLong);
        }
        let has_letter = raw.chars().any(char::is_alphabetic);
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        if !(has_letter && has_digit) {
            return Err(CredentialError::PasswordTooSimple);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lower_cased() {
        assert_eq!(Username::parse("  Alice_01 ").map(|u| u.0), Ok("alice_01".to_owned()));
    }

    #[test]
    fn usernames_outside_the_policy_are_refused() {
        assert_eq!(Username::parse("ab"), Err(CredentialError::UsernameLength));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(CredentialError::UsernameLength));
        assert_eq!(Username::parse("bob smith"), Err(CredentialError::UsernameCharacters));
        assert_eq!(Username::parse("<script>"), Err(CredentialError::UsernameCharacters));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(Email::parse("Bob@Example.COM").map(|e| e.0), Ok("bob@example.com".to_owned()));
        for bad in ["bob", "@example.com", "bob@example", "bob@@example.com", "bob@.com", "b ob@x.io", "bob@x..io"] {
            assert_eq!(Email::parse(bad), Err(CredentialError::EmailInvalid), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_a_letter_and_a_digit() {
        assert!(Password::parse("correct-horse-7").is_ok());
        assert_eq!(Password::parse("short1"), Err(CredentialError::PasswordTooShort));
        assert_eq!(Password::parse("onlyletterspassword"), Err(CredentialError::PasswordTooSimple));
        assert_eq!(Password::parse("1234567890123"), Err(CredentialError::PasswordTooSimple));
        assert_eq!(Password::parse(&"a1".repeat(65)), Err(CredentialError::PasswordTooLong));
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::parse("correct-horse-7").expect("valid password");
        assert_eq!(format!("{password:?}"), "Password(..)");
    }
}
