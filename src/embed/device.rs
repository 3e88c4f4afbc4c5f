//! Run-time device choice: `auto` picks a GPU when the binary was built with
//! one and a device is present, else the CPU.

use candle_core::Device;

use super::{EmbedError, Result};

/// Which device to run the model on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DeviceChoice {
    /// CUDA or Metal when built in and present, else CPU.
    #[default]
    Auto,
    /// Always the CPU.
    Cpu,
    /// NVIDIA GPU 0 (needs a build with `--features cuda`).
    Cuda,
    /// Apple GPU (needs a build with `--features metal`).
    Metal,
}

impl DeviceChoice {
    /// The candle device for this choice.
    pub fn to_device(self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda => {
                if !candle_core::utils::cuda_is_available() {
                    return Err(EmbedError::DeviceUnavailable("cuda".into()));
                }
                Ok(Device::new_cuda(0)?)
            }
            DeviceChoice::Metal => {
                if !candle_core::utils::metal_is_available() {
                    return Err(EmbedError::DeviceUnavailable("metal".into()));
                }
                Ok(Device::new_metal(0)?)
            }
            DeviceChoice::Auto => {
                if candle_core::utils::cuda_is_available() {
                    if let Ok(d) = Device::new_cuda(0) {
                        tracing::info!("device: cuda:0");
                        return Ok(d);
                    }
                }
                if candle_core::utils::metal_is_available() {
                    if let Ok(d) = Device::new_metal(0) {
                        tracing::info!("device: metal:0");
                        return Ok(d);
                    }
                }
                tracing::info!("device: cpu");
                Ok(Device::Cpu)
            }
        }
    }
}
