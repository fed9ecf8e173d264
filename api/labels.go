package api

// Chinese labels the API shows beside codes (role_label, status_label and the
// like). The labels of states and actions are the workflow's
// (workflow.Request, workflow.Lead); these are the rest.

import (
	"qinqing/configs"
	"qinqing/index"
	"qinqing/model"
)

var runStatusLabels = map[string]string{model.RunDraft: "草稿", model.RunPublished: "已发布"}

var methodLabels = map[string]string{
	index.MethodEfficacy: "功效系数法", index.MethodMinMax: "极差标准化法（min-max）", index.MethodZScore: "Z 分数标准化法",
}

var groupLabels = map[string]string{
	model.GroupCounty: "区（县、市）", model.GroupCity: "市本级及功能区", model.GroupTown: "重点镇（街道）",
}

var reasonLabels = map[string]string{
	index.ReasonNotSubmitted:          "未报送",
	index.ReasonNoCases:               "无案件",
	index.ReasonInsufficientCases:     "案件数不足",
	index.ReasonInsufficientResponses: "问卷样本不足",
	index.ReasonNotApplicable:         "不适用",
	index.ReasonInsufficientCoverage:  "下级指标数据不足",
}

var rectifyKindLabels = map[string]string{index.RectifyGap: "差距", index.RectifyData: "数据未报送"}

func deptLabel(ref *model.Reference, code string) string {
	if d, ok := ref.Departments[code]; ok {
		return d.Name
	}
	return code
}

var sourceLabels = map[string]string{
	configs.SourceTracker: "系统计算", configs.SourceSubmitted: "部门报送", configs.SourceSurvey: "企业问卷",
}

func sourceLabel(src string) string {
	if l, ok := sourceLabels[src]; ok {
		return l
	}
	return "汇总指标"
}

var interactionListLabels = map[string]string{"positive": "正面清单", "negative": "负面清单", "advocacy": "倡导清单"}

var roleLabels = map[string]string{
	"enterprise": "企业", "station": "亲清家园站点", "acfic": "工商联", "department": "职能部门",
	"inspector": "纪检监察", "admin": "系统管理员",
}

var scoreLabels = map[int]string{5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
