//! Work items: the ones linked to a pull request (`…/pullRequests/{id}/workitems`) and the batch
//! read (`POST …/_apis/wit/workitemsbatch`), with items the caller cannot read left out as
//! `null` (`errorPolicy: omit`) or failing the whole batch (`fail`, the default).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::reply::Reply;

/// A work item as a test seeds it.
#[derive(Clone, Debug)]
pub struct WorkItemSeed {
    pub id: u32,
    pub work_item_type: String,
    pub title: String,
    pub state: String,
    pub description: String,
    pub acceptance_criteria: String,
    /// The token's identity may read it (area path permissions).
    pub readable: bool,
}

impl WorkItemSeed {
    pub fn new(id: u32, work_item_type: &str, title: &str) -> WorkItemSeed {
        WorkItemSeed {
            id,
            work_item_type: work_item_type.to_owned(),
            title: title.to_owned(),
            state: "Active".to_owned(),
            description: String::new(),
            acceptance_criteria: String::new(),
            readable: true,
        }
    }
}

/// The organization's work items and their links to pull requests.
#[derive(Clone, Debug, Default)]
pub(super) struct WorkItems {
    items: BTreeMap<u32, WorkItemSeed>,
    links: BTreeMap<u32, Vec<u32>>,
}

impl WorkItems {
    pub(super) fn add(&mut self, seed: WorkItemSeed) {
        self.items.insert(seed.id, seed);
    }

    pub(super) fn link(&mut self, pull_request_id: u32, work_item: u32) {
        self.links
            .entry(pull_request_id)
            .or_default()
            .push(work_item);
    }

    /// `GET …/pullRequests/{id}/workitems`: `ResourceRef`s.
    pub(super) fn refs(&self, base_url: &str, pull_request_id: u32) -> Reply {
        Reply::list(self.ref_values(base_url, pull_request_id))
    }

    /// The `ResourceRef`s of the work items linked to a pull request (also the PR's
    /// `workItemRefs` with `includeWorkItemRefs=true`).
    pub(super) fn ref_values(&self, base_url: &str, pull_request_id: u32) -> Vec<Value> {
        self.links
            .get(&pull_request_id)
            .into_iter()
            .flatten()
            .map(|id| {
                json!({"id": id.to_string(), "url": format!("{base_url}_apis/wit/workItems/{id}")})
            })
            .collect()
    }

    /// `POST …/_apis/wit/workitemsbatch`.
    pub(super) fn batch(&self, base_url: &str, body: &Value) -> Reply {
        let ids: Vec<u64> = body["ids"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.len() > 200 {
            return Reply::bad_request("VS402337: the batch needs between 1 and 200 work item ids");
        }
        let omit = body["errorPolicy"]
            .as_str()
            .is_some_and(|p| p.eq_ignore_ascii_case("omit"));
        let fields: Option<Vec<String>> = body["fields"].as_array().map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        });
        let mut values = Vec::new();
        for id in ids {
            let item = u32::try_from(id).ok().and_then(|id| self.items.get(&id));
            match item {
                Some(item) if item.readable => {
                    values.push(render(item, base_url, fields.as_deref()))
                }
                _ if omit => values.push(Value::Null),
                Some(_) => {
                    return Reply::error(
                        403,
                        &format!(
                            "TF401232: Work item {id} does not exist, or you do not have permissions to read it."
                        ),
                        "WorkItemUnauthorizedAccessException",
                    );
                }
                None => {
                    return Reply::not_found(
                        &format!(
                            "TF401232: Work item {id} does not exist, or you do not have permissions to read it."
                        ),
                        "WorkItemUnauthorizedAccessException",
                    );
                }
            }
        }
        Reply::list(values)
    }
}

fn render(item: &WorkItemSeed, base_url: &str, wanted: Option<&[String]>) -> Value {
    let all = [
        ("System.WorkItemType", &item.work_item_type),
        ("System.Title", &item.title),
        ("System.State", &item.state),
        ("System.Description", &item.description),
        (
            "Microsoft.VSTS.Common.AcceptanceCriteria",
            &item.acceptance_criteria,
        ),
    ];
    let mut fields = serde_json::Map::new();
    for (name, value) in all {
        let asked = wanted.is_none_or(|w| w.iter().any(|f| f.eq_ignore_ascii_case(name)));
        // The service leaves out fields that have no value.
        if asked && !value.is_empty() {
            fields.insert(name.to_owned(), json!(value));
        }
    }
    json!({
        "id": item.id,
        "rev": 1,
        "fields": fields,
        "url": format!("{base_url}_apis/wit/workItems/{}", item.id),
    })
}
