//! The ward as the page kit sees it. The ward's dashboard page is the
//! dashboard's ([`crate::dashboard::pages`]).

impl crate::web::page::InWard for crate::wards::Ward {
    fn ward_id(&self) -> i64 {
        self.id
    }

    fn ward_name(&self) -> &str {
        &self.name
    }

    fn municipality_id(&self) -> i64 {
        self.municipality_id
    }

    fn municipality_name(&self) -> &str {
        &self.municipality_name
    }
}
