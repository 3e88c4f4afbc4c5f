//! Dense layers and the small MLPs every head is made of.

use std::ops::{Deref, DerefMut};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::embed::dot;

/// One dense layer: `outputs × inputs` weights, row-major, and a bias.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// Stored by [`super::codec`] (f16, base64); a plain JSON array of
    /// numbers is also accepted when reading.
    #[serde(with = "super::codec::f16_base64")]
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// How a trained weight tensor lays out its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// `(outputs, inputs)`: used as `x · wᵀ`.
    OutputsByInputs,
    /// `(inputs, outputs)`: used as `x · w`.
    InputsByOutputs,
}

impl Dense {
    /// A layer from a 2-D weight tensor laid out as `orientation` says and
    /// a 1-D bias.
    pub fn from_tensors(
        w: &Tensor,
        b: &Tensor,
        orientation: Orientation,
    ) -> candle_core::Result<Self> {
        let (rows, cols) = w.dims2()?;
        let (inputs, outputs, weights) = match orientation {
            Orientation::OutputsByInputs => (cols, rows, w.flatten_all()?.to_vec1()?),
            Orientation::InputsByOutputs => {
                (rows, cols, w.t()?.contiguous()?.flatten_all()?.to_vec1()?)
            }
        };
        Ok(Dense {
            inputs,
            outputs,
            weights,
            bias: b.flatten_all()?.to_vec1()?,
        })
    }

    /// Whether the weights and bias have the sizes `inputs` and `outputs` say.
    pub fn is_consistent(&self) -> bool {
        self.weights.len() == self.inputs * self.outputs && self.bias.len() == self.outputs
    }

    /// `x · wᵀ + b` for a batch `x` (rows × inputs).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dev = x.device();
        let w = Tensor::from_slice(&self.weights, (self.outputs, self.inputs), dev)?;
        let b = Tensor::from_slice(&self.bias, self.outputs, dev)?;
        x.matmul(&w.t()?)?.broadcast_add(&b)
    }

    /// `w · x + b` for one input row (dot products, no tensors).
    pub fn forward_row(&self, x: &[f32]) -> Vec<f32> {
        self.weights
            .chunks(self.inputs.max(1))
            .zip(&self.bias)
            .map(|(row, b)| b + dot(row, x))
            .collect()
    }
}

/// Dense layers applied in turn, ReLU between them (none after the last).
/// Serialised as the plain list of its layers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(transparent)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

impl Deref for Mlp {
    type Target = Vec<Dense>;
    fn deref(&self) -> &Vec<Dense> {
        &self.layers
    }
}

impl DerefMut for Mlp {
    fn deref_mut(&mut self) -> &mut Vec<Dense> {
        &mut self.layers
    }
}

impl From<Vec<Dense>> for Mlp {
    fn from(layers: Vec<Dense>) -> Self {
        Mlp { layers }
    }
}

impl Mlp {
    /// Values the first layer reads (0 without layers).
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// Values the last layer gives (0 without layers).
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Check that the layers chain from `inputs` values to `outputs`, each
    /// with weights and bias of its sizes; the reason otherwise.
    pub fn check(&self, inputs: usize, outputs: usize) -> Result<(), String> {
        let mut width = inputs;
        for (i, l) in self.layers.iter().enumerate() {
            if l.inputs != width || !l.is_consistent() {
                return Err(format!("layer {i} has inconsistent sizes"));
            }
            width = l.outputs;
        }
        if self.layers.is_empty() || width != outputs {
            return Err(match outputs {
                1 => "the last layer must have exactly one output".into(),
                n => format!("the last layer must have exactly {n} outputs"),
            });
        }
        Ok(())
    }

    /// Outputs (rows × outputs) of a batch `x` (rows × inputs).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(&x)?;
            if i + 1 < self.layers.len() {
                x = x.relu()?;
            }
        }
        Ok(x)
    }

    /// [`Mlp::forward`] on `rows` row-major input rows, flattened
    /// (rows × outputs, row-major); empty without rows.
    pub fn forward_rows(&self, x: &[f32]) -> candle_core::Result<Vec<f32>> {
        let rows = x.len() / self.inputs().max(1);
        if rows == 0 {
            return Ok(Vec::new());
        }
        let xt = Tensor::from_slice(x, (rows, self.inputs()), &Device::Cpu)?;
        self.forward(&xt)?.flatten_all()?.to_vec1()
    }

    /// Outputs of one input row, computed with dot products.
    pub fn forward_row(&self, x: &[f32]) -> Vec<f32> {
        let mut h = x.to_vec();
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward_row(&h);
            if i + 1 < self.layers.len() {
                h.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Mlp {
        Mlp::from(vec![
            Dense {
                inputs: 2,
                outputs: 2,
                weights: vec![1.0, -1.0, 0.5, 0.5],
                bias: vec![0.0, -1.0],
            },
            Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![2.0, 1.0],
                bias: vec![0.25],
            },
        ])
    }

    #[test]
    fn batch_and_row_forward_agree() {
        let m = toy();
        assert!(m.check(2, 1).is_ok());
        let x = [1.0, 3.0, 2.0, 0.0];
        let batch = m.forward_rows(&x).unwrap();
        // Row 1: hidden relu([-2, 1]) = [0, 1] -> 1.25; row 2: [2, 0] -> 4.25.
        assert_eq!(batch, [1.25, 4.25]);
        assert_eq!(m.forward_row(&x[..2]), [1.25]);
        assert_eq!(m.forward_row(&x[2..]), [4.25]);
        assert!(m.forward_rows(&[]).unwrap().is_empty());
    }

    #[test]
    fn inconsistent_layers_are_reported() {
        let mut m = toy();
        assert!(m.check(3, 1).is_err());
        assert!(m.check(2, 2).is_err());
        m[1].bias.push(0.0);
        assert!(m.check(2, 1).unwrap_err().contains("layer 1"));
        assert!(Mlp::default().check(2, 1).is_err());
    }

    #[test]
    fn layers_from_either_orientation() {
        let dev = Device::Cpu;
        let w = Tensor::from_vec(vec![1f32, 2., 3., 4., 5., 6.], (3, 2), &dev).unwrap();
        let b = Tensor::from_vec(vec![0f32, 1.], 2, &dev).unwrap();
        let l = Dense::from_tensors(&w, &b, Orientation::InputsByOutputs).unwrap();
        assert_eq!((l.inputs, l.outputs), (3, 2));
        assert_eq!(l.weights, [1., 3., 5., 2., 4., 6.]);
        let b3 = Tensor::from_vec(vec![0f32, 1., 2.], 3, &dev).unwrap();
        let l = Dense::from_tensors(&w, &b3, Orientation::OutputsByInputs).unwrap();
        assert_eq!((l.inputs, l.outputs), (2, 3));
        assert_eq!(l.weights, [1., 2., 3., 4., 5., 6.]);
        assert!(l.is_consistent());
    }
}
