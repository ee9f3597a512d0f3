// Package errs defines Whistle's application errors: a machine-readable
// code, a message in the user's language, and the one table that maps codes
// to HTTP status (in the style of benbjohnson/wtf).
package errs

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Code is a machine-readable error code, stable across releases.
type Code string

// Error codes. Each has a status and zh/en messages in the catalogue below.
//
// The rule for bad input: 400 (InvalidJSON) only when the request cannot
// be read as the request at all — a body that is not JSON, has trailing
// data, unknown fields or a value of the wrong JSON type, or an empty
// body (and, on pages, a form that does not parse). Every check of a
// request that was read — a field missing, too long, out of its range, not
// one of the allowed values, a control character, a date that is no date —
// is 422 (Invalid or a more specific code). TestValidationIs422 holds it.
const (
	Invalid             Code = "invalid"              // generic validation failure
	InvalidJSON         Code = "invalid_json"         // body is not the JSON we expect
	FieldRequired       Code = "field_required"       // a required field is missing
	FieldTooLong        Code = "field_too_long"       // text over its limit
	InvalidPhone        Code = "invalid_phone"        // not a Chinese phone number
	InvalidType         Code = "invalid_type"         // unknown request type
	InvalidChannel      Code = "invalid_channel"      // unknown channel
	InvalidUrgency      Code = "invalid_urgency"      // unknown urgency class
	UnknownCategory     Code = "unknown_category"     // category code not in the taxonomy (or not a leaf)
	UnknownUnit         Code = "unknown_unit"         // unit id does not exist
	UnknownPlace        Code = "unknown_place"        // place id does not exist
	OutsideCity         Code = "outside_city"         // coordinates outside every district
	InvalidLocation     Code = "invalid_location"     // lat/lon malformed
	InvalidTransition   Code = "invalid_transition"   // action not allowed in the case's state
	ReturnPending       Code = "return_pending"       // a return request awaits the centre
	ExtensionPending    Code = "extension_pending"    // an extension request awaits the centre
	NoReturnPending     Code = "no_return_pending"    // nothing to approve or reject
	NoExtensionPending  Code = "no_extension_pending" // nothing to approve or reject
	ReturnWindowClosed  Code = "return_window_closed" // too late to ask for a return
	DeadlineInPast      Code = "deadline_in_past"     // a requested deadline is not in the future
	DeadlineNotLater    Code = "deadline_not_later"   // an extension must move the deadline later
	ExtensionTooLong    Code = "extension_too_long"   // an extension moves the deadline too far
	OutsideArea         Code = "outside_area"         // a place outside the acting unit's (or grid's) area
	ReopenLimit         Code = "reopen_limit"         // reopened too often
	NotLeadUnit         Code = "not_lead_unit"        // only the lead unit may do this
	NotCoUnit           Code = "not_co_unit"          // only a co-handling unit may do this
	SameUnit            Code = "same_unit"            // re-dispatch to the unit that returned it
	MergeSelf           Code = "merge_self"           // a case cannot be merged into itself
	MergeClosed         Code = "merge_closed_parent"  // the parent case is closed or merged
	UnsupportedMedia    Code = "unsupported_media"    // attachment type not allowed
	TooLarge            Code = "too_large"            // attachment or body over the limit
	InvalidImage        Code = "invalid_image"        // an upload that does not decode as an allowed image
	ImageTooLarge       Code = "image_too_large"      // an image's width × height over the limit
	UploadQuota         Code = "upload_quota"         // a day's upload quota (user or address) used up
	IdempotencyMismatch Code = "idempotency_mismatch" // key reused with another body
	Unauthenticated     Code = "unauthenticated"      // no or bad credentials
	BadCredentials      Code = "bad_credentials"      // wrong username or password
	RateLimited         Code = "rate_limited"         // too many attempts
	TOTPRequired        Code = "totp_required"        // the account asks for a two-step verification code
	TOTPInvalid         Code = "totp_invalid"         // a wrong, expired or already used verification code
	Forbidden           Code = "forbidden"            // role may not do this (on a visible resource)
	NotFound            Code = "not_found"            // no such resource (or not in scope)
	Conflict            Code = "conflict"             // concurrent change; retry
	Exists              Code = "exists"               // unique value already taken
	Unavailable         Code = "unavailable"          // store not ready
	StoreUnavailable    Code = "store_unavailable"    // the database does not answer (an outage): retry shortly
	Busy                Code = "busy"                 // too much work at once (password checks); retry shortly
	Internal            Code = "internal"             // a bug or an outage
	InvalidBoundaries   Code = "invalid_boundaries"   // a boundary import has problems; nothing was written
	InvalidRules        Code = "invalid_rules"        // a duty list's rules do not check out
	UnknownArticle      Code = "unknown_article"      // knowledge article id does not exist
	ArticleNotValid     Code = "article_not_valid"    // knowledge article outside its validity dates
	NoModel             Code = "no_model"             // the classifier has not been trained yet
	NotEnoughData       Code = "not_enough_data"      // too few closed cases to train the classifier
)

// Searching cases by a citizen's phone number (casework.SearchByPhone).
const (
	PhoneSearchForbidden Code = "phone_search_forbidden" // only roles that take calls may search by phone
	PhoneSearchLimited   Code = "phone_search_limited"   // too many searches by phone; try again later
	InvalidPeriod        Code = "invalid_period"         // an analysis period that ends before it starts or is too long
)

// Exports of case lists (casework.ExportCases).
const (
	ExportTooLarge Code = "export_too_large" // more rows than the format's limit
)

// Storage failures (the store classifies SQLite's and PostgreSQL's errors).
const (
	StorageFull     Code = "storage_full"      // the disk (or the database's size limit) is full
	StorageReadOnly Code = "storage_read_only" // the database cannot be written (read-only file or file system, I/O error)
)

// Error is an application error. Field names the offending input field, if any.
type Error struct {
	Code   Code
	Field  string
	Detail string // extra, language-neutral detail (e.g. the allowed states)
	Err    error  // wrapped cause, never shown to users
	// Fields is every problem of a form checked as a whole, one per field,
	// when there are several (see All); the first is also Code, Field and
	// Detail above, so readers of one field keep working.
	Fields []*Error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Field != "" {
		b.WriteString(" (" + e.Field + ")")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E makes an error with a code.
func E(code Code) *Error { return &Error{Code: code} }

// F makes an error with a code and the field it concerns.
func F(code Code, field string) *Error { return &Error{Code: code, Field: field} }

// D makes an error with a code and a detail.
func D(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// All makes one error of the problems of a form checked as a whole: nil
// for none, the problem itself for one, else the first with every problem
// in Fields.
func All(problems ...*Error) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return problems[0]
	}
	first := *problems[0]
	first.Fields = problems
	return &first
}

// FieldsOf lists the problems err carries, one per field: its Fields, or
// err itself when it names one field, or none.
func FieldsOf(err error) []*Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	if len(e.Fields) > 0 {
		return e.Fields
	}
	if e.Field != "" {
		return []*Error{e}
	}
	return nil
}

// Wrap marks err as internal unless it already is an *Error.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Err: err}
}

// CodeOf returns the code of err, Internal for foreign errors, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

type entry struct {
	status int
	zh, en string
}

var catalogue = map[Code]entry{
	Invalid:             {http.StatusUnprocessableEntity, "输入无效", "invalid input"},
	InvalidJSON:         {http.StatusBadRequest, "请求体不是有效的 JSON", "the request body is not valid JSON"},
	FieldRequired:       {http.StatusUnprocessableEntity, "缺少必填项", "a required field is missing"},
	FieldTooLong:        {http.StatusUnprocessableEntity, "内容超过长度上限", "the text is over its length limit"},
	InvalidPhone:        {http.StatusUnprocessableEntity, "电话号码格式不正确", "not a valid phone number"},
	InvalidType:         {http.StatusUnprocessableEntity, "诉求类型无效（咨询、求助、投诉、举报、建议、表扬）", "unknown request type (consultation, help, complaint, report, suggestion, praise)"},
	InvalidChannel:      {http.StatusUnprocessableEntity, "受理渠道无效", "unknown channel"},
	InvalidUrgency:      {http.StatusUnprocessableEntity, "紧急程度无效", "unknown urgency class"},
	UnknownCategory:     {http.StatusUnprocessableEntity, "诉求分类不存在或不是末级分类", "unknown category, or not a leaf category"},
	UnknownUnit:         {http.StatusUnprocessableEntity, "承办单位不存在", "unknown unit"},
	UnknownPlace:        {http.StatusUnprocessableEntity, "地点不存在", "unknown place"},
	OutsideCity:         {http.StatusUnprocessableEntity, "位置不在本市范围内", "the location is outside the city"},
	InvalidLocation:     {http.StatusUnprocessableEntity, "经纬度无效", "invalid latitude/longitude"},
	InvalidTransition:   {http.StatusConflict, "工单当前状态不允许此操作", "this action is not allowed in the case's current state"},
	ReturnPending:       {http.StatusConflict, "退单申请待中心审核", "a return request is waiting for the centre"},
	ExtensionPending:    {http.StatusConflict, "延期申请待中心审核", "an extension request is waiting for the centre"},
	NoReturnPending:     {http.StatusConflict, "没有待审核的退单申请", "there is no pending return request"},
	NoExtensionPending:  {http.StatusConflict, "没有待审核的延期申请", "there is no pending extension request"},
	ReturnWindowClosed:  {http.StatusConflict, "已超过退单时限，须由首接单位办理", "the return window has closed; the first receiver keeps the case"},
	DeadlineInPast:      {http.StatusUnprocessableEntity, "期限不能早于当前时间", "the deadline must be in the future"},
	DeadlineNotLater:    {http.StatusUnprocessableEntity, "延期后的期限必须晚于原期限", "an extension must move the deadline later"},
	ExtensionTooLong:    {http.StatusUnprocessableEntity, "延期后的期限不得晚于原期限 90 天", "an extension may move the deadline at most 90 days"},
	OutsideArea:         {http.StatusUnprocessableEntity, "地点不在本单位辖区（或本网格）内", "the place is outside your unit's area (or the grid)"},
	ReopenLimit:         {http.StatusConflict, "重办次数已达上限", "the case has been reopened too often"},
	NotLeadUnit:         {http.StatusForbidden, "只有主办单位可以执行此操作", "only the lead unit may do this"},
	NotCoUnit:           {http.StatusForbidden, "只有协办单位可以执行此操作", "only a co-handling unit may do this"},
	SameUnit:            {http.StatusUnprocessableEntity, "不能改派给申请退单的同一单位", "cannot re-dispatch to the unit that returned the case"},
	MergeSelf:           {http.StatusUnprocessableEntity, "工单不能并入自身", "a case cannot be merged into itself"},
	MergeClosed:         {http.StatusConflict, "目标工单已办结或已被合并", "the target case is closed or merged"},
	UnsupportedMedia:    {http.StatusUnsupportedMediaType, "不支持的附件类型（仅限 JPEG、PNG、GIF、WebP、PDF）", "unsupported attachment type (JPEG, PNG, GIF, WebP, PDF only)"},
	TooLarge:            {http.StatusRequestEntityTooLarge, "内容过大", "the content is too large"},
	InvalidImage:        {http.StatusUnprocessableEntity, "图片无法识别（仅限 JPEG、PNG、GIF、WebP）", "the image cannot be read (JPEG, PNG, GIF, WebP only)"},
	ImageTooLarge:       {http.StatusUnprocessableEntity, "图片像素过多（最多 4000 万像素）", "the image has too many pixels (40 megapixels at most)"},
	UploadQuota:         {http.StatusTooManyRequests, "今日上传量已达上限，请明天再试", "today's upload quota is used up; try again tomorrow"},
	IdempotencyMismatch: {http.StatusUnprocessableEntity, "幂等键已用于另一内容不同的请求", "the Idempotency-Key was used for a different request"},
	Unauthenticated:     {http.StatusUnauthorized, "请先登录", "authentication required"},
	BadCredentials:      {http.StatusUnauthorized, "用户名或密码错误", "wrong username or password"},
	RateLimited:         {http.StatusTooManyRequests, "尝试次数过多，请稍后再试", "too many attempts; try again later"},
	TOTPRequired:        {http.StatusUnauthorized, "请输入两步验证码", "enter your two-step verification code"},
	TOTPInvalid:         {http.StatusUnauthorized, "验证码错误、已过期或已使用", "the verification code is wrong, expired or already used"},
	Forbidden:           {http.StatusForbidden, "您的角色无权执行此操作", "your role may not do this"},
	NotFound:            {http.StatusNotFound, "未找到", "not found"},
	Conflict:            {http.StatusConflict, "数据已被他人修改，请重试", "the record changed concurrently; retry"},
	Exists:              {http.StatusConflict, "已存在", "already exists"},
	Unavailable:         {http.StatusServiceUnavailable, "服务暂不可用", "service unavailable"},
	StoreUnavailable:    {http.StatusServiceUnavailable, "数据库暂时无法连接，请稍后重试", "the database cannot be reached; try again shortly"},
	Busy:                {http.StatusServiceUnavailable, "系统繁忙，请稍后重试", "the server is busy; try again shortly"},
	Internal:            {http.StatusInternalServerError, "系统内部错误", "internal error"},
	InvalidBoundaries:   {http.StatusUnprocessableEntity, "边界数据有误，未导入任何内容", "the boundaries have problems; nothing was imported"},
	InvalidRules:        {http.StatusUnprocessableEntity, "职责清单规则有误", "the duty list's rules are invalid"},
	UnknownArticle:      {http.StatusUnprocessableEntity, "知识库文章不存在", "unknown knowledge article"},
	ArticleNotValid:     {http.StatusUnprocessableEntity, "知识库文章不在有效期内", "the knowledge article is not valid now"},
	NoModel:             {http.StatusConflict, "分类模型尚未训练", "the classifier has not been trained yet"},
	NotEnoughData:       {http.StatusConflict, "已办结工单太少，无法训练分类模型", "too few closed cases to train the classifier"},

	PhoneSearchForbidden: {http.StatusForbidden, "仅接听来电的话务员和派单员可按电话号码查询", "only agents and dispatchers who take calls may search by phone number"},
	PhoneSearchLimited:   {http.StatusTooManyRequests, "按电话号码查询过于频繁，请稍后再试", "too many searches by phone number; try again later"},
	InvalidPeriod:        {http.StatusUnprocessableEntity, "分析期间无效：结束日期早于开始日期，或超过400天", "invalid period: it ends before it starts or is longer than 400 days"},
	ExportTooLarge:       {http.StatusUnprocessableEntity, "导出行数超过该格式的上限，请缩小筛选范围或改用 CSV/JSONL", "too many rows for this format; narrow the filter or export CSV or JSONL"},

	StorageFull:     {http.StatusInsufficientStorage, "存储空间已满，本次操作未保存，请联系管理员", "the storage is full; nothing was saved — tell the administrator"},
	StorageReadOnly: {http.StatusServiceUnavailable, "数据库当前无法写入（只读或读写错误），本次操作未保存，请联系管理员", "the database cannot be written (read-only or an I/O error); nothing was saved — tell the administrator"},
}

// Status returns the HTTP status for code.
func Status(code Code) int {
	if e, ok := catalogue[code]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// Message returns the user-facing message for code in lang ("zh" or "en").
func Message(code Code, lang string) string {
	e, ok := catalogue[code]
	if !ok {
		e = catalogue[Internal]
	}
	if strings.HasPrefix(lang, "en") {
		return e.en
	}
	return e.zh
}

// Codes lists every known code (for documentation and tests).
func Codes() []Code {
	out := make([]Code, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	return out
}
