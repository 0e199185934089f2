// The serial ports of this PC as the integrator writes them into a room profile: by their stable
// /dev/serial/by-id/… name (the adapter's make and serial number), which survives a reboot and a replug into another
// USB socket, unlike /dev/ttyUSB0. Listed by serialport (udev's database on Linux).
import { SerialPort } from "serialport";

export interface SerialPortFound {
  /** The kernel's name, e.g. /dev/ttyUSB0: changes with the order adapters are found in. */
  path: string;
  /** The udev by-id name without its folder (serialport's pnpId), when the port has one. */
  pnpId?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export const BY_ID_DIR = "/dev/serial/by-id";

export async function listSerialPorts(): Promise<SerialPortFound[]> {
  return await SerialPort.list();
}

/** One block per port, stable name first; ports without one (a PC's own COM ports) after, said so. */
export function describeSerialPorts(ports: SerialPortFound[]): string {
  if (ports.length === 0) return "Không có cổng nối tiếp nào / no serial port found\n";
  const stable = ports.filter((port) => port.pnpId);
  const other = ports.filter((port) => !port.pnpId);
  const lines: string[] = [];
  for (const port of stable) {
    const usb = port.vendorId && port.productId ? `USB ${port.vendorId}:${port.productId}` : "";
    const about = [port.manufacturer, port.serialNumber && `S/N ${port.serialNumber}`, usb, `now ${port.path}`];
    lines.push(`${BY_ID_DIR}/${port.pnpId}`, `  ${about.filter(Boolean).join(" · ")}`);
  }
  for (const port of other) lines.push(`${port.path}`, "  không có tên cố định / no stable name (built in?)");
  return `${lines.join("\n")}\n`;
}
