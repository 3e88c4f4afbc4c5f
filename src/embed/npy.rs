//! Minimal writer and reader for `.npy` float32 matrices (NumPy format 1.0).

use std::io::{self, Read, Write};

/// Write a row-major `rows × cols` little-endian float32 matrix as `.npy`.
pub fn write_f32<W: Write>(mut w: W, rows: usize, cols: usize, data: &[f32]) -> io::Result<()> {
    if data.len() != rows * cols {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("matrix has {} values, expected {rows}×{cols}", data.len()),
        ));
    }
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // magic (6) + version (2) + header len (2) + header + '\n' is a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    for x in data {
        w.write_all(&x.to_le_bytes())?;
    }
    w.flush()
}

/// Read a float32 `.npy` matrix written by [`write_f32`] (or NumPy): returns
/// `(rows, cols, data)`.
pub fn read_f32<R: Read>(mut r: R) -> io::Result<(usize, usize, Vec<f32>)> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let mut pre = [0u8; 10];
    r.read_exact(&mut pre)?;
    if &pre[..6] != b"\x93NUMPY" || pre[6] != 1 {
        return Err(bad("not a version-1 .npy file"));
    }
    let hlen = u16::from_le_bytes([pre[8], pre[9]]) as usize;
    let mut header = vec![0u8; hlen];
    r.read_exact(&mut header)?;
    let header = String::from_utf8_lossy(&header);
    if !header.contains("'<f4'") || header.contains("'fortran_order': True") {
        return Err(bad(
            "only little-endian float32 C-order matrices are supported",
        ));
    }
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape in header"))?;
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().map_err(|_| bad("bad shape")))
        .collect::<io::Result<_>>()?;
    let (rows, cols) = match dims.as_slice() {
        [r] => (*r, 1),
        [r, c] => (*r, *c),
        _ => return Err(bad("expected a 1-d or 2-d array")),
    };
    let mut bytes = vec![0u8; rows * cols * 4];
    r.read_exact(&mut bytes)?;
    let data = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok((rows, cols, data))
}

#[cfg(test)]
mod tests {
    #[test]
    fn npy_round_trip_and_alignment() {
        let mut buf = Vec::new();
        super::write_f32(&mut buf, 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.5]).unwrap();
        assert_eq!((buf.len() - 24) % 64, 0);
        let (r, c, d) = super::read_f32(&buf[..]).unwrap();
        assert_eq!((r, c), (2, 3));
        assert_eq!(d[5], 6.5);
        assert!(super::write_f32(&mut Vec::new(), 2, 2, &[1.0]).is_err());
    }
}
