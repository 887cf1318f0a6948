//! The validation rules shared by the request types (docs/api-decisions.md): lengths,
//! character sets, URLs and path ids. Each error names the field in camelCase dotted form.

use super::parse::join_path;
use crate::error::Error;

/// Longest `externalReference`.
pub const EXTERNAL_REFERENCE_MAX: usize = 128;
/// Longest payer/payee name.
pub const NAME_MAX: usize = 140;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 140;
/// Longest `webhookUrl` (and `openFinance.redirectUrl`).
pub const URL_MAX: usize = 2048;
/// Longest id in a path (`/cash-in/{id}`).
pub const PATH_ID_MAX: usize = 64;

/// A path id (`/cash-in/{id}`, `/cash-out/{id}`): 1–64 characters of `[A-Za-z0-9_-]`.
/// Anything else could change the path (`../`, `%2F`, `?x=`) and is refused before sending.
pub fn validate_path_id(field: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::validation(field, "is required"));
    }
    if id.chars().count() > PATH_ID_MAX {
        return Err(Error::validation(
            field,
            format!("must be at most {PATH_ID_MAX} characters"),
        ));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::validation(
            field,
            "may contain only letters, digits, '_' and '-' (a transactionId, internalCode or endToEndId)",
        ));
    }
    Ok(())
}

/// A calendar date `YYYY-MM-DD` (RFC 3339 full-date), like the balance's `date` query.
pub fn validate_date(field: &str, text: &str) -> Result<(), Error> {
    let fail = || {
        Err(Error::validation(
            field,
            "must be a calendar date YYYY-MM-DD, e.g. 2026-03-10",
        ))
    };
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return fail();
    }
    let number = |range: std::ops::Range<usize>| {
        text[range]
            .bytes()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return fail(),
    };
    if (1..=days).contains(&day) {
        Ok(())
    } else {
        fail()
    }
}

/// `externalReference`: 1–128 printable ASCII characters without `/ ? # %`.
pub(crate) fn check_external_reference(field: &str, text: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::validation(
            field,
            "is required (1 to 128 characters)",
        ));
    }
    if text.chars().count() > EXTERNAL_REFERENCE_MAX {
        return Err(Error::validation(
            field,
            format!("must be at most {EXTERNAL_REFERENCE_MAX} characters"),
        ));
    }
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(Error::validation(
            field,
            "may contain only printable ASCII characters (no accents, line breaks or control characters)",
        ));
    }
    if text.contains(['/', '?', '#', '%']) {
        return Err(Error::validation(
            field,
            "must not contain '/', '?', '#' or '%'",
        ));
    }
    Ok(())
}

/// A person's or company's name: 1–140 characters, no control characters.
pub(crate) fn check_name(field: &str, text: &str) -> Result<(), Error> {
    if text.trim().is_empty() {
        return Err(Error::validation(
            field,
            "is required (1 to 140 characters)",
        ));
    }
    check_free_text(field, text, NAME_MAX)
}

/// An optional description: at most 140 characters, no control characters.
pub(crate) fn check_description(field: &str, text: Option<&str>) -> Result<(), Error> {
    match text {
        Some(text) => check_free_text(field, text, DESCRIPTION_MAX),
        None => Ok(()),
    }
}

fn check_free_text(field: &str, text: &str, max: usize) -> Result<(), Error> {
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain line breaks, tabs or other control characters",
        ));
    }
    Ok(())
}

/// A URL the API calls or sends the payer to: `https://host/...`, or `http://` to a loopback
/// host (local development); at most 2,048 characters of visible ASCII.
///
/// User info (`user@`) is refused: `http://127.0.0.1@evil.com` points at evil.com.
pub(crate) fn check_callback_url(field: &str, url: &str) -> Result<(), Error> {
    let fail = |message: &str| Err(Error::validation(field, message));
    if url.is_empty() {
        return fail("must not be empty: give an https URL or leave the field out");
    }
    if url.len() > URL_MAX {
        return fail("must be at most 2048 characters");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return fail(
            "may contain only visible ASCII characters (no spaces, line breaks or accents; percent-encode them)",
        );
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return fail("must be an absolute https URL (https://...)");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return fail("must use https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') || authority.contains('\\') {
        return fail("must not contain user info (user@host)");
    }
    let Some(host) = host_of(authority) else {
        return fail("has no valid host");
    };
    if scheme == "http" && !crate::config::is_loopback_host(&host) {
        return fail("must use https (plain http is only allowed to 127.0.0.1, ::1 or localhost)");
    }
    Ok(())
}

/// The lowercased host of `host[:port]` or `[v6][:port]`; `None` when malformed.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            with_colon => Some(with_colon.strip_prefix(':')?),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    (host_ok && port_ok).then(|| host.to_ascii_lowercase())
}

/// An error from a nested validator (`pix::key::normalize` names `pixKey`), re-rooted under
/// `parent` so the caller sees the full path (`payee.destination.pixKey`).
pub(crate) fn under(parent: &str, mut error: Error) -> Error {
    if let Some(field) = error.field.take() {
        let full = join_path(parent, &field);
        let detail = error.detail.clone().unwrap_or_default();
        error.message = format!("{full}: {detail}");
        error.field = Some(full);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls() {
        for ok in [
            "https://api.yourdomain.com/webhooks/connectpsp",
            "https://example.com:8443/hook?token=abc",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(check_callback_url("webhookUrl", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "http://api.yourdomain.com/hook",
            "javascript:alert(1)",
            "ftp://example.com/",
            "https://",
            "https://exa mple.com/",
            "https://example.com/\r\nX: 1",
            "http://127.0.0.1@evil.com/",
            "http://localhost.evil.com/",
            "//example.com/hook",
            "https://exämple.com/",
            "https://example.com:99999/",
        ] {
            let err = check_callback_url("webhookUrl", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("webhookUrl"), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert!(check_callback_url("webhookUrl", &long).is_err());
    }

    #[test]
    fn dates() {
        for ok in ["2026-03-10", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(validate_date("date", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2026-3-10",
            "2026-13-01",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-00-10",
            "2026-03-00",
            "2026/03/10",
            "２０２６-03-10",
            "2026-03-10T00:00:00Z",
        ] {
            assert_eq!(
                validate_date("date", bad).unwrap_err().field.as_deref(),
                Some("date"),
                "{bad}"
            );
        }
    }

    #[test]
    fn path_ids() {
        for ok in [
            "US7B1JQ",
            "kk6g232xel65a0daee4dd13kk2912714964",
            "dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9",
        ] {
            assert!(validate_path_id("id", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "a%2Fb",
            "a?x=1",
            "a\r\n",
            "ação",
            &"a".repeat(65),
        ] {
            assert_eq!(
                validate_path_id("id", bad).unwrap_err().field.as_deref(),
                Some("id")
            );
        }
    }
}
