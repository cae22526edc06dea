//! Ammonia (R717) saturation properties and the Carnot-fraction COP.

const KELVIN: f64 = 273.15;
// Clausius-Clapeyron fit ln(P/kPa) = A - B/T through the R717 table points
// -20 °C → 190.2 kPa and 40 °C → 1555 kPa (ICE_PLANT.md §2); within ~2 % from -30 to 45 °C.
const CC_A: f64 = 16.214;
const CC_B: f64 = 2776.0;
/// Fraction of the Carnot COP a real ammonia screw reaches (assumption; gives 2.5–3.5, §3).
const CARNOT_FRACTION: f64 = 0.6;

/// Saturation pressure of ammonia, bar absolute, at `t_c` °C.
pub fn saturation_pressure_bar(t_c: f64) -> f64 {
    (CC_A - CC_B / (t_c + KELVIN)).exp() / 100.0
}

/// Saturation temperature of ammonia, °C, at `p_bar` bar absolute (inverse of the fit).
pub fn saturation_temperature_c(p_bar: f64) -> f64 {
    CC_B / (CC_A - (p_bar.max(1e-3) * 100.0).ln()) - KELVIN
}

/// Cycle COP estimate between evaporating and condensing temperatures.
pub(crate) fn cycle_cop(evaporating_c: f64, condensing_c: f64) -> f64 {
    let lift = (condensing_c - evaporating_c).max(10.0);
    CARNOT_FRACTION * (evaporating_c + KELVIN) / lift
}

/// Discharge temperature after compression from `suction_c` (evaporating + 5 K superheat).
/// Isentropic exponent (k-1)/k for NH3 with k = 1.31; the water/oil-cooled head removes part
/// of the compression heat, so only 70 % of the isentropic rise remains (assumption, keeps the
/// normal value near 90–110 °C, below the 135 °C limit of §2).
pub(crate) fn discharge_temperature_c(evaporating_c: f64, ratio: f64) -> f64 {
    let suction_k = evaporating_c + 5.0 + KELVIN;
    let isentropic_k = suction_k * ratio.max(1.0).powf(0.2366);
    suction_k + 0.7 * (isentropic_k - suction_k) - KELVIN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturation_matches_table_points() {
        assert!((saturation_pressure_bar(-20.0) - 1.902).abs() < 0.03);
        assert!((saturation_pressure_bar(0.0) - 4.294).abs() < 0.1);
        assert!((saturation_pressure_bar(30.0) - 11.67).abs() < 0.3);
        assert!((saturation_temperature_c(saturation_pressure_bar(-12.0)) + 12.0).abs() < 1e-9);
    }

    #[test]
    fn cop_in_documented_band() {
        let cop = cycle_cop(-18.0, 35.0);
        assert!((2.5..=3.5).contains(&cop), "{cop}");
    }
}
