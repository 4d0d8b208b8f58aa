//! What the emulator sends back: JSON documents, the service's error bodies
//! (`{"$id", "innerException", "message", "typeName", "typeKey", "errorCode", "eventId"}`), the
//! HTML sign-in page it shows to a rejected token, plain text logs.

use serde_json::{Value, json};

#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: Option<&'static str>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    /// Set when the request is one the service would reject or a client must not send.
    pub(super) violation: Option<String>,
}

impl Reply {
    pub(super) fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: Some("application/json; charset=utf-8; api-version=7.1"),
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap_or_default(),
            violation: None,
        }
    }

    pub(super) fn ok(value: &Value) -> Reply {
        Reply::json(200, value)
    }

    /// `{"count": N, "value": [...]}`, the service's wrapping of every list.
    pub(super) fn list(values: Vec<Value>) -> Reply {
        Reply::ok(&json!({ "count": values.len(), "value": values }))
    }

    pub(super) fn empty(status: u16) -> Reply {
        Reply {
            status,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
            violation: None,
        }
    }

    pub(super) fn text(text: String) -> Reply {
        Reply {
            status: 200,
            content_type: Some("text/plain; charset=utf-8"),
            headers: Vec::new(),
            body: text.into_bytes(),
            violation: None,
        }
    }

    /// The service's error body.
    pub(super) fn error(status: u16, message: &str, type_key: &str) -> Reply {
        Reply::json(
            status,
            &json!({
                "$id": "1",
                "innerException": null,
                "message": message,
                "typeName": format!("Microsoft.VisualStudio.Services.WebApi.{type_key}, Microsoft.VisualStudio.Services.WebApi"),
                "typeKey": type_key,
                "errorCode": 0,
                "eventId": 3000
            }),
        )
    }

    /// An error the service would answer to a request a correct client never sends; recorded as a
    /// violation.
    pub(super) fn violation(status: u16, message: &str, type_key: &str) -> Reply {
        let mut reply = Reply::error(status, message, type_key);
        reply.violation = Some(message.to_owned());
        reply
    }

    /// 400 for a request that breaks the reference or the service's rules.
    pub(super) fn bad_request(message: &str) -> Reply {
        Reply::violation(400, message, "InvalidArgumentValueException")
    }

    /// 404 for something that does not exist (not a violation: clients probe).
    pub(super) fn not_found(message: &str, type_key: &str) -> Reply {
        Reply::error(404, message, type_key)
    }

    /// 203 with the sign-in page: what GET and POST get for a missing, bad or expired token.
    pub(super) fn sign_in_page() -> Reply {
        Reply {
            status: 203,
            content_type: Some("text/html; charset=utf-8"),
            headers: Vec::new(),
            body: SIGN_IN_PAGE.as_bytes().to_vec(),
            violation: None,
        }
    }

    /// 401 `TF400813`: what other methods get for a missing, bad or expired token, and any method
    /// for a token without the operation's scope.
    pub(super) fn unauthorized(user: &str) -> Reply {
        Reply::error(
            401,
            &format!("TF400813: The user '{user}' is not authorized to access this resource."),
            "UnauthorizedRequestException",
        )
        .with_header("WWW-Authenticate", "Bearer")
        .with_header("WWW-Authenticate", "Basic realm=\"https://127.0.0.1/\"")
    }

    pub(super) fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status) && self.status != 203
    }
}

const SIGN_IN_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>Azure DevOps Services | Sign In</title>\n<meta http-equiv=\"X-UA-Compatible\" content=\"IE=11;&#32;IE=10;&#32;IE=9;&#32;IE=8\" />\n</head>\n<body>\n<div class=\"sign-in\">Sign in to your account to continue to Azure DevOps.</div>\n</body>\n</html>\n";
