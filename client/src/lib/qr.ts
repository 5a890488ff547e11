import QRCode from 'qrcode'

/** A QR code of the room link, as an image URL, for opening the room on a phone. */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { margin: 1, width: 192, errorCorrectionLevel: 'M' })
}
