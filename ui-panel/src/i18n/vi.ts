// The Vietnamese catalogue: the app's language by default. Operators are not engineers: plain words, and for every
// fault what to do. Keep the glossary's words (DESIGN §1): phiên tiếp công dân, chủ trì, điểm cầu, công dân.
import type { DeviceKind, DeviceStatus, DirectorCause, ErrorCode, RoomLevel, SessionState } from "@rc/protocol";

type Described = (p: { device: string }) => string;
/** A director's cause as words need it: the seats' labels joined, the camera's name. */
export interface CauseWords {
  seats?: string;
  camera?: string;
  seconds?: number;
}

export const vi = {
  language: "Tiếng Việt",
  switchLanguage: "English",
  appTitle: "Điều khiển phòng tiếp công dân trực tuyến",
  loading: "Đang tải…",
  connectionLost: "Mất kết nối với trung tâm — đang tự kết nối lại. Các nút tạm khoá.",
  roomUnknown: (p: { room: string }) => `Không có phòng "${p.room}" — kiểm tra lại địa chỉ hoặc báo IT.`,
  roomOffline: "Máy điều khiển của phòng mất kết nối — kiểm tra nguồn và dây mạng của máy; đã báo IT.",

  lockTitle: "Nhập mã PIN để mở bảng điều khiển",
  pinLabel: "Mã PIN",
  pinEntered: (p: { n: number }) => `Đã nhập ${p.n} số`,
  clear: "Xoá",
  unlock: "Mở khoá",
  lock: "Khoá màn hình",
  wrongPin: "Mã PIN không đúng — hãy nhập lại.",
  tooManyTries: (p: { s: number }) => `Nhập sai quá nhiều lần — hãy đợi ${p.s} giây rồi thử lại.`,

  loginTitle: "Đăng nhập giám sát",
  userName: "Tên đăng nhập",
  password: "Mật khẩu",
  login: "Đăng nhập",
  logout: "Đăng xuất",
  wrongLogin: "Tên đăng nhập hoặc mật khẩu không đúng.",

  session: "Phiên tiếp công dân",
  noSession: "Chưa có phiên tiếp công dân nào của phòng này.",
  presiding: "Chủ trì",
  points: "Các điểm cầu",
  centralPoint: "Điểm cầu trung tâm",
  componentPoint: "Điểm cầu thành phần",
  startSession: "Bắt đầu phiên",
  endSession: "Kết thúc phiên",
  confirmEndSession: "Kết thúc phiên tiếp công dân cho mọi điểm cầu?",
  sessionState: {
    scheduled: "Sắp diễn ra",
    live: "Đang diễn ra",
    ended: "Đã kết thúc",
    cancelled: "Đã huỷ",
  } satisfies Record<SessionState, string>,
  startsAt: (p: { time: string }) => `Bắt đầu lúc ${p.time}`,
  link: { up: "Đường truyền tốt", poor: "Đường truyền chập chờn", down: "Mất đường truyền", none: "Chưa nối" },

  cameras: "Camera",
  camerasOf: "Chọn camera",
  onProgram: "Đang phát",
  presetsBySeat: "Vị trí theo ghế",
  presetHint: "Chạm để quay tới ghế · giữ lâu để lưu vị trí hiện tại",
  storeConfirm: (p: { seat: string; camera: string }) => `Lưu vị trí hiện tại của ${p.camera} cho ghế "${p.seat}"?`,
  store: "Lưu vị trí",
  cancel: "Huỷ",
  confirm: "Đồng ý",
  stored: (p: { seat: string }) => `Đã lưu vị trí cho ghế "${p.seat}".`,
  moveUp: "Quay lên",
  moveDown: "Quay xuống",
  moveLeft: "Quay sang trái",
  moveRight: "Quay sang phải",
  zoomIn: "Phóng to",
  zoomOut: "Thu nhỏ",
  home: "Về vị trí gốc",
  holdToMove: "Giữ để quay, thả tay để dừng",

  sound: "Âm thanh",
  micOpen: "Micro mở",
  micMuted: "Micro tắt",
  muteSeat: (p: { seat: string }) => `Micro ${p.seat}`,
  privacy: "Tắt toàn bộ micro",
  privacyOn: "ĐÃ TẮT TOÀN BỘ MICRO",
  privacyOff: "Bật lại micro",
  volume: "Âm lượng loa",
  volumeDown: "Giảm âm lượng",
  volumeUp: "Tăng âm lượng",

  director: "Tự động chuyển camera",
  directorMode: { auto: "Đang bật", manual: "Đang tắt (người điều khiển chọn)", paused: "Tạm dừng" },
  /** The director's cause (DirectorCause): seats and cameras already as names, seconds as a number. */
  directorCause: {
    session_start: () => "Đầu phiên: hình toàn cảnh phòng",
    mics_muted: () => "Mọi micro đã tắt: hình toàn cảnh",
    meters_stopped: () => "Không nhận được mức âm thanh từ bộ xử lý: hình toàn cảnh — hãy báo IT",
    camera_lost: (p: CauseWords) => `${p.camera} không trả lời: hình toàn cảnh`,
    silence: (p: CauseWords) =>
      `Không ai nói${p.seconds === undefined ? "" : ` trong ${p.seconds} giây`}: hình toàn cảnh`,
    several_talkers: (p: CauseWords) => `${p.seats} cùng nói: hình toàn cảnh`,
    back_and_forth: (p: CauseWords) =>
      `Chuyển qua lại nhiều lần${p.seconds === undefined ? "" : ` trong ${p.seconds} giây`}: giữ hình toàn cảnh một lúc`,
    speaker: (p: CauseWords) => `${p.seats} đang nói`,
    holding: (p: CauseWords) => `Giữ hình hiện tại: ${p.camera} chưa dùng được`,
  } satisfies Record<DirectorCause["code"], (p: CauseWords) => string>,
  directorOn: "Bật tự động",
  directorOff: "Tắt tự động",
  lastReason: "Lần chuyển gần nhất",

  recording: "Ghi hình",
  recordingOn: "Đang ghi hình",
  recordingOff: "Không ghi hình",
  startRecording: "Bắt đầu ghi",
  stopRecording: "Dừng ghi",
  elapsed: (p: { time: string }) => `Đã ghi ${p.time}`,
  onAir: "ĐANG PHÁT",
  offAir: "KHÔNG PHÁT",
  rec: "ĐANG GHI",
  notRec: "KHÔNG GHI",

  devices: "Thiết bị",
  deviceKind: {
    camera: "Camera",
    mixer: "Bộ xử lý âm thanh",
    gpio: "Bảng nút bấm và đèn",
    media: "Truyền hình và ghi hình",
    test: "Thiết bị thử",
  } satisfies Record<DeviceKind, string>,
  deviceStatus: {
    ok: (p: { device: string }) => `${p.device}: hoạt động bình thường.`,
    connecting: (p: { device: string }) => `${p.device}: đang kết nối — đợi một lát.`,
    degraded: (p: { device: string }) =>
      `${p.device}: hoạt động không ổn định — theo dõi thêm; nếu kéo dài quá 5 phút hãy báo IT.`,
    offline: (p: { device: string }) => `${p.device} mất kết nối — kiểm tra nguồn và dây mạng; đã báo IT.`,
    bad_config: (p: { device: string }) => `${p.device}: cài đặt sai — không tự sửa được; hãy gọi IT.`,
    disabled: (p: { device: string }) => `${p.device}: đang tắt.`,
  } satisfies Record<DeviceStatus, Described>,
  statusWord: {
    ok: "Tốt",
    connecting: "Đang kết nối",
    degraded: "Không ổn định",
    offline: "Mất kết nối",
    bad_config: "Cài đặt sai",
    disabled: "Đang tắt",
  } satisfies Record<DeviceStatus, string>,
  readOnly: "Tài khoản này chỉ được xem — các nút điều khiển bị khoá.",
  disabledBecause: (p: { device: string }) => `Không dùng được: ${p.device} chưa sẵn sàng.`,

  errors: {
    invalid_params: "Lệnh không hợp lệ — hãy báo IT.",
    unknown_action: "Thiết bị không hỗ trợ lệnh này — hãy báo IT.",
    not_found: "Không tìm thấy — tải lại trang; nếu vẫn lỗi hãy báo IT.",
    conflict: "Lệnh không thực hiện được lúc này — thử lại sau vài giây.",
    device_unavailable: "Thiết bị chưa sẵn sàng — đợi vài giây rồi thử lại; nếu vẫn lỗi hãy báo IT.",
    device_error: "Thiết bị báo lỗi — thử lại; nếu vẫn lỗi hãy báo IT.",
    timeout: "Thiết bị không trả lời kịp — thử lại.",
    internal: "Lỗi hệ thống — hãy báo IT.",
    unauthorized: "Phiên làm việc đã hết — hãy mở khoá lại.",
    forbidden: "Tài khoản này không được làm việc này.",
    rate_limited: "Thao tác quá nhanh — đợi một lát rồi thử lại.",
    network: "Không gửi được lệnh: mất kết nối với trung tâm — kiểm tra mạng rồi thử lại.",
  } satisfies Record<ErrorCode | "network", string>,
  dismiss: "Đóng",

  dashboard: "Giám sát thiết bị các điểm cầu",
  level: {
    central: "Cấp trung ương",
    province: "Cấp tỉnh",
    district: "Cấp huyện",
    commune: "Cấp xã",
  } satisfies Record<RoomLevel, string>,
  allLevels: "Tất cả các cấp",
  filterLevel: "Lọc theo cấp",
  roomsOnline: (p: { n: number; total: number }) => `${p.n}/${p.total} phòng trực tuyến`,
  roomsOffline: (p: { n: number }) => `${p.n} phòng mất kết nối`,
  devicesByStatus: "Thiết bị theo trạng thái",
  room: "Phòng",
  availability: { online: "Trực tuyến", offline: "Mất kết nối", unknown: "Chưa rõ" },
  rollUp: "Tổng hợp",
  notPresent: "Không có",
  openPanel: "Mở bảng điều khiển",
  deviceMatrix: "Bảng thiết bị",
  alarms: "Cảnh báo",
  noAlarms: "Không có cảnh báo.",
  acknowledge: "Xác nhận đã biết",
  acknowledged: "Đã xác nhận",
  alarmsUnavailable: "Chưa xem được danh sách cảnh báo.",
  raisedAt: (p: { time: string }) => `Lúc ${p.time}`,
};

/** The shape every catalogue has: the Vietnamese one's. */
export type Messages = typeof vi;
