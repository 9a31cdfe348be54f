//! `POST /api/wards/{ward_id}/meetings/import` and
//! `/countermeasures/import`: a CSV file as the body
//! (`application/octet-stream`), `?encoding=utf-8|sjis` or detected.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};

use crate::access;
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::survey::api::SurveyTags;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

pub struct TransferApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
struct ImportResult {
    /// Rows written.
    imported: i64,
    /// The new records' ids, in file order.
    ids: Vec<i64>,
}

fn read(body: &[u8], encoding: Option<&str>) -> crate::error::AppResult<spreadsheet::Sheet> {
    let text = spreadsheet::decode(body, Encoding::from_param(encoding)?)?;
    spreadsheet::parse(&text)
}

#[OpenApi(tag = "SurveyTags::Csv")]
impl TransferApi {
    /// Imports meetings from CSV in the export's columns. The whole file is
    /// checked first: any bad row imports nothing (422 with one error per
    /// row and column); a good file is written in one transaction.
    #[oai(
        path = "/wards/:ward_id/meetings/import",
        method = "post",
        operation_id = "importMeetings"
    )]
    async fn import_meetings(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        encoding: Query<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ImportResult>> {
        let ward = ward.0;
        let table = read(&body.0, encoding.0.as_deref())?;
        let members = super::store::all_members(&self.state.db, &ward.read()).await?;
        let present = super::store::all_meetings(&self.state.db, &ward.read()).await?;
        let list = super::parse_meetings(&table, ward.ward_id(), &members, &present)?;
        let now = self.state.clock.now();
        let ids = super::store::import_meetings(&self.state.db, &ward, list, now).await?;
        Ok(Json(ImportResult {
            imported: ids.len() as i64,
            ids,
        }))
    }

    /// Imports countermeasures from CSV in the export's columns; each row
    /// climbs to its 段階 through the ladder's rules (具体化 needs 担当委員
    /// and 評価予定日, 評価改善 needs 評価 and 改善). All or nothing.
    #[oai(
        path = "/wards/:ward_id/countermeasures/import",
        method = "post",
        operation_id = "importCountermeasures"
    )]
    async fn import_countermeasures(
        &self,
        ward: Checked<access::WardWrite>,
        #[oai(name = "ward_id")] _ward_id: Path<i64>,
        encoding: Query<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ImportResult>> {
        let ward = ward.0;
        let table = read(&body.0, encoding.0.as_deref())?;
        let members = super::store::all_members(&self.state.db, &ward.read()).await?;
        let meetings = super::store::all_meetings(&self.state.db, &ward.read()).await?;
        let today = self.state.clock.today();
        let present =
            super::store::all_countermeasures(&self.state.db, &ward.read(), today).await?;
        let scenes = super::store::scenes(&self.state.db, &ward).await?;
        let list = super::parse_countermeasures(
            &table,
            ward.ward_id(),
            &scenes,
            &members,
            &meetings,
            &present,
            today,
        )?;
        let now = self.state.clock.now();
        let ids = super::store::import_countermeasures(&self.state.db, &ward, list, now).await?;
        Ok(Json(ImportResult {
            imported: ids.len() as i64,
            ids,
        }))
    }
}
