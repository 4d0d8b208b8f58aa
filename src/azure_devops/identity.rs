//! Who the token is: `_apis/connectionData` (answers only to a preview api-version).

use super::client::{Call, Client, Scope};
use super::error::ApiError;
use super::models::ConnectionData;

pub(crate) async fn connection_data(client: &Client) -> Result<ConnectionData, ApiError> {
    let url = client.url("_apis/connectionData", "7.1-preview.1", &[]);
    client
        .get(
            url,
            &Call::new("identify the token with", "the organization", Scope::Code),
        )
        .await
}
