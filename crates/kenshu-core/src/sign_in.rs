//! How an institution's people may sign in.

/// The sign-in methods an institution allows, several at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignInMethods {
    /// A password kept by the portal (argon2id).
    pub password: bool,
    /// The institution's directory (Active Directory, OpenLDAP).
    pub directory: bool,
    /// The institution's OpenID Connect provider.
    pub oidc: bool,
}

impl SignInMethods {
    /// Only portal passwords: every institution's start.
    pub const PASSWORD: SignInMethods = SignInMethods {
        password: true,
        directory: false,
        oidc: false,
    };

    /// The methods as stored (`password`, `directory`, `oidc`); unknown names are ignored.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> SignInMethods {
        let has = |n: &str| names.iter().any(|x| x.as_ref() == n);
        SignInMethods {
            password: has("password"),
            directory: has("directory"),
            oidc: has("oidc"),
        }
    }

    /// Parses a comma-separated list as the command line takes it: `password,directory`.
    pub fn parse(list: &str) -> Result<SignInMethods, String> {
        let mut m = SignInMethods::default();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "password" => m.password = true,
                "directory" | "ldap" => m.directory = true,
                "oidc" => m.oidc = true,
                other => {
                    return Err(format!(
                        "unknown sign-in method '{other}'; use password, directory and/or oidc"
                    ));
                }
            }
        }
        if m == SignInMethods::default() {
            return Err("give at least one sign-in method: password, directory or oidc".into());
        }
        Ok(m)
    }

    /// The names as stored, in a fixed order.
    pub fn names(&self) -> Vec<String> {
        [
            (self.password, "password"),
            (self.directory, "directory"),
            (self.oidc, "oidc"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| n.to_string())
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_and_write_back() {
        let m = SignInMethods::parse("directory, password").unwrap();
        assert_eq!(m.names(), ["password", "directory"]);
        assert_eq!(SignInMethods::from_names(&m.names()), m);
        assert_eq!(SignInMethods::parse("ldap").unwrap().names(), ["directory"]);
        assert!(
            SignInMethods::parse("")
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            SignInMethods::parse("password,saml")
                .unwrap_err()
                .contains("'saml'")
        );
    }
}
