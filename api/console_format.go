package api

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"qinqing/workflow"
)

// Template functions and the formatting helpers behind them. Pages show
// times in Beijing time, codes by their Chinese names, and deadlines in
// words that say whether they count 工作日 or 自然日.

func (cs *console) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":      cs.assetURL,
		"region":     cs.regionName,
		"department": func(code string) string { return deptLabel(cs.s.ref, code) },
		"category":   cs.categoryName,
		"role":       func(r string) string { return roleLabels[r] },
		"datetime":   cs.datetime,
		"date":       cs.date,
		"fieldError": func(p *formProblem, field string) string { return p.For(field) },
		"score":      scoreText,
		"num":        numText,
		"percent":    func(x float64) string { return strconv.FormatFloat(x*100, 'f', 0, 64) },
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
	}
}

// scoreText shows a score (float64 or *float64) with two decimals, "—"
// when there is none.
func scoreText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case *float64:
		if x != nil {
			return strconv.FormatFloat(*x, 'f', 2, 64)
		}
	}
	return "—"
}

// numText shows a raw value (float64 or *float64) as given, "" when there
// is none.
func numText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *float64:
		if x != nil {
			return strconv.FormatFloat(*x, 'f', -1, 64)
		}
	}
	return ""
}

func (cs *console) regionName(code string) string {
	if r, ok := cs.s.ref.Regions[code]; ok {
		return r.Name
	}
	return code
}

func (cs *console) categoryName(code string) string {
	if c, ok := cs.s.ref.Categories[code]; ok {
		return c.Name
	}
	return code
}

// datetime shows t as 2026-11-25 10:00 in Beijing time ("" for the zero time).
func (cs *console) datetime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cs.s.cal.Location()).Format("2006-01-02 15:04")
}

func (cs *console) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cs.s.cal.Location()).Format("2006-01-02")
}

// deadline is an open step's deadline as a page shows it.
type deadline struct {
	// Text says what is left or how late, and on which count:
	// 剩余 2个工作日3小时, 已超期 5小时（自然日）.
	Text string
	// Due is the deadline itself, Basis 工作日 or 自然日.
	Due, Basis string
	// Mark is red (overdue), amber (due soon) or green, MarkLabel its words.
	Mark, MarkLabel string
}

// deadlineOf words the deadline due of a step counted in working days when
// working (a request's or lead's due_working), at the server's now.
// overdue is the case's own flag (the scanner's mark stays when a
// deadline is moved later). nil when there is no deadline.
func (cs *console) deadlineOf(due *time.Time, working, overdue bool) *deadline {
	if due == nil {
		return nil
	}
	now := cs.s.now()
	basis := dayBasis(working)
	d := &deadline{Due: cs.datetime(*due), Basis: basis}
	rem := cs.s.cal.Remaining(now, *due, working)
	soonW, soonC := cs.s.store.DueSoonCutoffs(now)
	soon := soonC
	if working {
		soon = soonW
	}
	switch {
	case overdue || rem < 0:
		d.Mark, d.MarkLabel = "red", "已超期"
	case due.Before(soon):
		d.Mark, d.MarkLabel = "amber", "即将到期"
	default:
		d.Mark, d.MarkLabel = "green", "正常"
	}
	d.Text = remainingWords(rem, basis)
	return d
}

// dayBasis names the count a step's deadline uses: 工作日 when its limit
// is in working days (due_working), 自然日 otherwise (calendar days,
// months, plain durations).
func dayBasis(working bool) string {
	if working {
		return "工作日"
	}
	return "自然日"
}

// remainingWords words the time left (rem, from Calendar.Remaining) for
// people, on its count (the API's remaining, the console's deadlines):
// 剩余 2个工作日3小时, 已超期 1个自然日, 剩余 5小时20分钟（工作日）.
func remainingWords(d time.Duration, basis string) string {
	prefix := "剩余 "
	if d < 0 {
		prefix, d = "已超期 ", -d
	}
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)) / time.Hour)
	mins := int((d % time.Hour) / time.Minute)
	switch {
	case days > 0 && hours > 0:
		return prefix + strconv.Itoa(days) + "个" + basis + strconv.Itoa(hours) + "小时"
	case days > 0:
		return prefix + strconv.Itoa(days) + "个" + basis
	case hours > 0:
		return prefix + strconv.Itoa(hours) + "小时" + strconv.Itoa(mins) + "分钟（" + basis + "）"
	case mins > 0:
		return prefix + strconv.Itoa(mins) + "分钟（" + basis + "）"
	}
	return prefix + strconv.Itoa(int(d/time.Second)) + "秒（" + basis + "）"
}

// fieldLabels are the Chinese names of body and query fields: the
// validator's messages name fields by them (标题为必填字段), and so do
// problems shown in a form. A form whose fields mean something more
// specific passes its own labels (cs.problem). Every field with a
// validate tag has one (TestValidatedFieldsHaveLabels).
var fieldLabels = map[string]string{
	"username": "用户名", "password": "密码", "current_password": "当前密码", "new_password": "新密码",
	"new_password_confirm": "确认新密码",
	"title":                "标题", "content": "内容", "category": "类别", "enterprise_id": "企业",
	"department_code": "承办部门", "region_code": "区划", "note": "备注", "reason": "理由", "response": "答复内容",
	"comment": "评价意见", "score": "评分", "days": "天数", "due_at": "新的办理期限", "action": "操作",
	"expected_version": "数据版本",
	"status":           "状态", "from": "开始日期", "to": "结束日期", "q": "关键词", "overdue": "是否超期",
	"supervised": "是否督办", "cursor": "分页位置", "page_size": "每页条数",
	"name": "名称", "address": "地址", "uscc": "统一社会信用代码", "contact_name": "联系人", "contact_phone": "联系电话",
	"role": "角色", "display_name": "显示名", "disabled": "是否停用", "account_id": "账号", "station_id": "所属站点",
	"expires_at": "有效期至", "period": "期间", "evidence": "证据材料", "occurred_at": "发生时间",
	"subject_department_code": "涉及单位", "subject_name": "涉及人员或单位名称", "subject_username": "涉及人员的平台账号",
	"rule_code": "政商交往清单条目", "anonymous": "是否匿名", "receipt": "查询码", "refresh_token": "刷新令牌",
	"notes": "调查核实情况", "assessment": "评估意见", "disposal": "处置方式", "unit_region_code": "整改单位所在区划",
	"transfer_to": "移送机关", "grounds": "容错免责依据", "report": "整改情况报告", "accepted": "回访结论",
	"result": "回访结果", "state": "期限状态", "kind": "类别",
	"letter": "函询函内容", "reply": "函询回复", "conclusion": "函询结论", "method": "反馈方式", "feedback_at": "反馈时间",
	"target_id": "合并至诉求", "co_units": "协办单位", "co_handled": "协办筛选",
	"phone": "手机号码", "sms": "短信通知", "email_enabled": "邮件通知", "email": "电子邮箱",
	"file_ids": "附件", "file": "文件",
	"official_name": "当事人", "lead_id": "线索", "request_id": "诉求", "circumstances": "情况说明",
	"findings": "核实情况", "outcome": "认定结论", "members": "参加认定人员", "meeting_at": "认定会议时间",
	"opinion": "意见", "decision_no": "决定文号", "decision_text": "书面决定内容", "filed_with": "报备机关",
	"theme": "会议主题", "held_on": "会议日期", "venue": "会议地点", "agenda": "议程",
	"invited_enterprise_ids": "受邀企业", "invited_department_codes": "受邀部门", "minutes": "会议纪要",
}

// fieldLabel is the Chinese name of field, a JSON path (rows[2].value is
// named by value); the path itself when the table has none.
func fieldLabel(field string) string {
	name := field[strings.LastIndexAny(field, ".]")+1:]
	if l, ok := fieldLabels[name]; ok {
		return l
	}
	return field
}

// notices are the confirmations a page shows after a redirect (?done=…):
// fixed texts, so the query string cannot put words on the page.
var notices = map[string]string{
	"password":     "密码已修改。",
	"notices_read": "通知已全部标为已读。",
	"filed":        "诉求已提交，请留意办理进度。",
	"reported":     "线索已提交，纪检监察机关将依规处理。",
	"computed":     "测算完成，结果为草稿：请审核各单位的得分与报告，确认无误后发布。",
	"published":    "已发布。公众无需登录即可查看本期排名与各单位报告。",
	"confirmed":    "数据已确认。请测算该期间（确认之后的测算才能发布）。",
	"disabled":     "账号已停用，其登录会话、令牌与 API 密钥随即失效。",
	"enabled":      "账号已启用。",
	"revoked":      "API 密钥已吊销，使用它的请求将被拒绝。",
}

// noticeFor is the confirmation for done: a fixed text, or the label of a
// request or lead action that was taken.
func noticeFor(done string) string {
	if n, ok := notices[done]; ok {
		return n
	}
	if done == "" {
		return ""
	}
	for _, m := range []*workflow.Machine{workflow.Request, workflow.Lead} {
		if t, ok := m.Transition(workflow.Action(done)); ok {
			return "已完成：" + t.Label + "。"
		}
	}
	return ""
}
