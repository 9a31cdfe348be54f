//! `/api/municipalities/{id}/indicators`, `/api/indicators/{id}`,
//! `/api/indicators/{id}/values` and
//! `/api/municipalities/{id}/indicator-values/import` (a CSV file as the
//! body, `application/octet-stream`, `?encoding=utf-8|sjis` or detected;
//! columns 区・評価指標・期間・値, see `sheet`). The CSV export is a page
//! route (`/municipalities/{id}/indicator-values.csv`).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi, Tags};

use super::{Indicator, IndicatorPatch, MeasuredValue, NewIndicator, ValueInput, store, writers};
use crate::access;
use crate::spreadsheet::{self, Encoding};
use crate::state::AppState;
use crate::web::api::Created;
use crate::web::auth::Checked;
use crate::web::problem::ApiResult;

/// The operation tag of this set.
#[derive(Tags)]
pub enum IndicatorTags {
    /// 評価指標 (indicators) and their measured values
    Indicators,
}

/// The operations of 評価指標 and their values.
pub struct IndicatorsApi {
    pub state: AppState,
}

#[derive(Object)]
struct IndicatorList {
    /// By level (ストラクチャー → 最終アウトカム), then name.
    items: Vec<Indicator>,
    total: i64,
}

#[derive(Object)]
struct ValueList {
    /// 市全体 first, then wards in their order, each by period.
    items: Vec<MeasuredValue>,
    total: i64,
}

#[derive(Debug, Object)]
struct ValueImport {
    /// Rows recorded (added or replaced; an unchanged value counts too).
    imported: i64,
}

fn value_list(items: Vec<MeasuredValue>) -> Json<ValueList> {
    Json(ValueList {
        total: items.len() as i64,
        items,
    })
}

#[OpenApi(tag = "IndicatorTags::Indicators")]
impl IndicatorsApi {
    /// The municipality's indicators: any of its accounts reads them.
    #[oai(
        path = "/municipalities/:id/indicators",
        method = "get",
        operation_id = "listIndicators"
    )]
    async fn list(
        &self,
        plan: Checked<access::PlanRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<IndicatorList>> {
        let items = store::list(&self.state.db, plan.0).await?;
        Ok(Json(IndicatorList {
            total: items.len() as i64,
            items,
        }))
    }

    /// Adds an indicator (the city): 422 per field, 409 for a name the
    /// municipality already has.
    #[oai(
        path = "/municipalities/:id/indicators",
        method = "post",
        operation_id = "createIndicator"
    )]
    async fn create(
        &self,
        city: Checked<access::CityOf>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<NewIndicator>,
    ) -> ApiResult<Created<Indicator>> {
        let ind = store::create(&self.state.db, &city.0, &body.0, self.state.clock.now()).await?;
        Ok(Created::Created(Json(ind)))
    }

    #[oai(
        path = "/indicators/:id",
        method = "get",
        operation_id = "getIndicator"
    )]
    async fn get(
        &self,
        read: Checked<access::IndicatorRead>,
        #[oai(name = "id")] _id: Path<i64>,
    ) -> ApiResult<Json<Indicator>> {
        Ok(Json(store::get(&self.state.db, &read.0).await?))
    }

    /// Changes some fields (the city); absent fields stay, `baseline: null`
    /// removes the baseline. 409 for a taken name, or a frequency the
    /// recorded values are not of.
    #[oai(
        path = "/indicators/:id",
        method = "patch",
        operation_id = "updateIndicator"
    )]
    async fn update(
        &self,
        write: Checked<access::IndicatorWrite>,
        #[oai(name = "id")] _id: Path<i64>,
        body: Json<IndicatorPatch>,
    ) -> ApiResult<Json<Indicator>> {
        Ok(Json(
            store::update(&self.state.db, &write.0, &body.0, self.state.clock.now()).await?,
        ))
    }

    /// The indicator's values: the city's accounts see every ward's, a
    /// ward's accounts their own ward's and the municipality's as a whole
    /// (`ward_id: null`).
    #[oai(
        path = "/indicators/:id/values",
        method = "get",
        operation_id = "listIndicatorValues"
    )]
    async fn values(
        &self,
        read: Checked<access::IndicatorRead>,
        #[oai(name = "id")] _id: Path<i64>,
        req: &poem::Request,
    ) -> ApiResult<Json<ValueList>> {
        let actor = crate::web::auth::actor(req)?;
        let items = store::values(&self.state.db, &read.0, access::visible(&actor)).await?;
        Ok(value_list(items))
    }

    /// Records values, all or nothing; a value for an existing ward and
    /// period replaces it (audited with before and after). A ward's value:
    /// its secretariat, the city, `admin`; `ward_id: null` (the
    /// municipality as a whole): the city, `admin`; others 403. Periods
    /// must be of the indicator's frequency (422). Answers the values the
    /// caller sees.
    #[oai(
        path = "/indicators/:id/values",
        method = "put",
        operation_id = "putIndicatorValues"
    )]
    async fn put_values(
        &self,
        read: Checked<access::IndicatorRead>,
        #[oai(name = "id")] _id: Path<i64>,
        req: &poem::Request,
        body: Json<Vec<ValueInput>>,
    ) -> ApiResult<Json<ValueList>> {
        let actor = crate::web::auth::actor(req)?;
        let now = self.state.clock.now();
        writers::record_values(&self.state.db, &actor, &read.0, &body.0, now).await?;
        let items = store::values(&self.state.db, &read.0, access::visible(&actor)).await?;
        Ok(value_list(items))
    }

    /// Imports values from CSV (columns 区・評価指標・期間・値; 区 blank =
    /// the municipality as a whole; 期間 a code `2026`/`2026H1` or its
    /// label 令和8年度/令和8年度上半期). One bad row imports nothing: 422
    /// with one error per cell (`3行目「値」`).
    #[oai(
        path = "/municipalities/:id/indicator-values/import",
        method = "post",
        operation_id = "importIndicatorValues"
    )]
    async fn import(
        &self,
        plan: Checked<access::PlanRead>,
        #[oai(name = "id")] _id: Path<i64>,
        req: &poem::Request,
        encoding: Query<Option<String>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ValueImport>> {
        let actor = crate::web::auth::actor(req)?;
        let text = spreadsheet::decode(&body.0, Encoding::from_param(encoding.0.as_deref())?)?;
        let sheet = spreadsheet::parse(&text)?;
        let n = writers::import_csv(
            &self.state.db,
            &actor,
            plan.0,
            &sheet,
            self.state.clock.now(),
        )
        .await?;
        Ok(Json(ValueImport { imported: n as i64 }))
    }
}
