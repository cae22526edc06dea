//! `/assets/limits.json`: the plant model's alarm limits (`plant_model::limits`), so the page
//! colours a value exactly where the plant raises its alarm.

use axum::Json;
use plant_model::PlantConfig;
use plant_model::limits::{self, Limit};
use serde_json::{Value, json};

fn limit(l: Limit) -> Value {
    json!({ "raise": l.raise, "clear": l.clear })
}

/// The document: one `{raise, clear}` per alarm, and the plant defaults the limits are relative
/// to.
pub(super) fn build() -> Value {
    let defaults = PlantConfig::default();
    json!({
        "brine_high_above_setpoint_k": limit(limits::BRINE_HIGH_ABOVE_SETPOINT_K),
        "brine_low_strength_pct": limit(limits::BRINE_LOW_STRENGTH_PCT),
        "coil_ice_mm": limit(limits::COIL_ICE_MM),
        "discharge_temperature_c": limit(limits::DISCHARGE_TEMPERATURE_C),
        "low_suction_bar": limit(limits::LOW_SUCTION_BAR),
        "condenser_high_pressure_bar": limit(limits::CONDENSER_HIGH_PRESSURE_BAR),
        "ammonia_alarm_ppm": limit(limits::AMMONIA_ALARM_PPM),
        "ammonia_shutoff_ppm": limit(limits::AMMONIA_SHUTOFF_PPM),
        "ammonia_emergency_ppm": limit(limits::AMMONIA_EMERGENCY_PPM),
        "undervoltage_fraction": limit(limits::UNDERVOLTAGE_FRACTION),
        "ice_store_high_c": limit(limits::ICE_STORE_HIGH_C),
        "nominal_voltage_v": defaults.nominal_voltage_v,
        "default_brine_setpoint_c": defaults.brine_setpoint_c,
    })
}

/// `GET /assets/limits.json`
pub(super) async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_the_models() {
        let doc = build();
        assert_eq!(doc["ammonia_alarm_ppm"]["raise"], 25.0);
        assert_eq!(doc["brine_high_above_setpoint_k"]["raise"], 3.0);
        assert_eq!(doc["low_suction_bar"]["clear"], 1.4);
        // Every value the page reads is there and numeric.
        for key in [
            "brine_high_above_setpoint_k",
            "low_suction_bar",
            "condenser_high_pressure_bar",
            "ammonia_alarm_ppm",
            "ammonia_emergency_ppm",
            "undervoltage_fraction",
        ] {
            assert!(
                doc[key]["raise"].is_f64() && doc[key]["clear"].is_f64(),
                "{key}"
            );
        }
        assert!(doc["nominal_voltage_v"].is_f64());
    }
}
